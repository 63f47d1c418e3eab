/** Prepared statements of one connection, cached by their SQL text: preparing costs more than running most of them. */
import type Database from 'better-sqlite3';

export class PreparedStatements {
  private readonly byText = new Map<string, Database.Statement>();

  constructor(private readonly db: Database.Database) {}

  get(text: string): Database.Statement {
    let statement = this.byText.get(text);
    if (!statement) {
      statement = this.db.prepare(text);
      this.byText.set(text, statement);
    }
    return statement;
  }

  clear(): void {
    this.byText.clear();
  }
}
