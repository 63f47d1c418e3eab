/** Whether this server lets the page edit runs (`/api/health`'s `edits`), asked once per page load. */
import { useEffect, useState } from 'react';
import { compareApi } from './api-compare.ts';

let asked: Promise<boolean> | null = null;

export function useEdits(): boolean {
  const [edits, setEdits] = useState(false);
  useEffect(() => {
    asked ??= compareApi.health().then(
      (health) => health.edits === true,
      () => false,
    );
    let live = true;
    asked.then((value) => live && setEdits(value));
    return () => {
      live = false;
    };
  }, []);
  return edits;
}
