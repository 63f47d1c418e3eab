/** The data plugin: one factory, registered by the runner in its single registration place. */
import type { DatasetPlugin } from '@vgglab/core';
import { imageFolder } from './image-folder.ts';
import { shapes } from './shapes.ts';

export const DATA_PLUGIN_NAME = 'data';

export const dataPlugin = (): DatasetPlugin => ({
  name: DATA_PLUGIN_NAME,
  datasets: { imageFolder, shapes },
});
