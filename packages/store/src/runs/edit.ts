/**
 * What a user changes about a run after it ran: its name, a note, a star, its tags. One transaction per edit, every
 * field checked before anything is written, so a bad field leaves the run as it was.
 */
import { MAX_TAG_VALUE_LENGTH, MAX_TAGS_PER_BATCH } from '../defaults.ts';
import type { Connection } from '../storage/connection.ts';
import { toRun } from '../storage/rows.ts';
import type { KeyValue, Run, RunEdit } from '../types.ts';
import { checkKey, checkKeyValue, invalid, show } from '../validate.ts';
import { refreshSearchText, upsertTags } from '../write/params-tags.ts';

/** Longest run name. */
export const MAX_RUN_NAME_LENGTH = 200;
/** Longest note. */
export const MAX_NOTE_LENGTH = 10_000;

interface CheckedEdit {
  name?: string;
  note?: string;
  starred?: boolean;
  set: KeyValue[];
  remove: string[];
}

const EDIT_FIELDS = new Set(['name', 'note', 'starred', 'tags']);

function checkTags(tags: RunEdit['tags']): { set: KeyValue[]; remove: string[] } {
  if (tags === undefined) return { set: [], remove: [] };
  if (tags === null || typeof tags !== 'object') throw invalid(`editRun: tags must be { set, remove }, received ${show(tags)}`);
  const setObject = tags.set ?? {};
  if (setObject === null || typeof setObject !== 'object' || Array.isArray(setObject)) {
    throw invalid(`editRun: tags.set must be an object of key: value strings, received ${show(setObject)}`);
  }
  const set = Object.entries(setObject).map(([key, value]) => ({ key, value }));
  set.forEach((t) => checkKeyValue(t, `editRun: tags.set`, MAX_TAG_VALUE_LENGTH));
  const remove = tags.remove ?? [];
  if (!Array.isArray(remove)) throw invalid(`editRun: tags.remove must be an array of tag keys, received ${show(remove)}`);
  remove.forEach((key, i) => checkKey(key, `editRun: tags.remove[${i}]`));
  if (set.length + remove.length > MAX_TAGS_PER_BATCH) {
    throw invalid(`editRun: at most ${MAX_TAGS_PER_BATCH} tags set or removed per edit, received ${set.length + remove.length}`);
  }
  const both = remove.find((key) => key in setObject);
  if (both !== undefined) throw invalid(`editRun: tag ${show(both)} is both set and removed`);
  return { set, remove: [...remove] };
}

function checkEdit(edit: RunEdit): CheckedEdit {
  if (edit === null || typeof edit !== 'object' || Array.isArray(edit)) throw invalid(`editRun expects { name, note, starred, tags }, received ${show(edit)}`);
  const unknown = Object.keys(edit).find((k) => !EDIT_FIELDS.has(k));
  if (unknown !== undefined) throw invalid(`editRun: unknown field ${show(unknown)} (name, note, starred and tags can be edited)`);
  const { name, note, starred } = edit;
  if (name !== undefined && (typeof name !== 'string' || name.trim() === '' || name.length > MAX_RUN_NAME_LENGTH)) {
    throw invalid(`editRun: name must be 1..${MAX_RUN_NAME_LENGTH} characters, not only spaces, received ${show(name)}`);
  }
  if (note !== undefined && (typeof note !== 'string' || note.length > MAX_NOTE_LENGTH)) {
    throw invalid(`editRun: note must be a string of at most ${MAX_NOTE_LENGTH} characters, received ${show(note)}`);
  }
  if (starred !== undefined && typeof starred !== 'boolean') throw invalid(`editRun: starred must be true or false, received ${show(starred)}`);
  return { name: name?.trim(), note, starred, ...checkTags(edit.tags) };
}

export function editRun(c: Connection, runId: string, edit: RunEdit): Run {
  const checked = checkEdit(edit);
  return c.write(() => {
    const pk = c.runPk(runId);
    if (checked.name !== undefined) c.sql('UPDATE runs SET name = ? WHERE pk = ?').run(checked.name, pk);
    if (checked.note !== undefined) c.sql('UPDATE runs SET note = ? WHERE pk = ?').run(checked.note, pk);
    if (checked.starred !== undefined) c.sql('UPDATE runs SET starred = ? WHERE pk = ?').run(checked.starred ? 1 : 0, pk);
    const removeTag = c.sql('DELETE FROM tags WHERE run_pk = ? AND key = ?');
    for (const key of checked.remove) removeTag.run(pk, key);
    upsertTags(c, pk, checked.set);
    // The free-text filter reads the name and the tag values.
    if (checked.name !== undefined || checked.remove.length > 0) refreshSearchText(c, pk);
    return toRun(c.runRow(runId)!);
  });
}
