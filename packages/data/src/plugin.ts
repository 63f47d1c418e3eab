/** The data plugin: one factory, registered by the runner in its single registration place. */
import type { DatasetPlugin } from '@vgglab/core';
import { imageFolder } from './image-folder.ts';
import { shapes } from './shapes.ts';

export const dataPlugin = (): DatasetPlugin => ({
  name: 'data',
  datasets: { imageFolder, shapes },
});
