// Public surface of @vgglab/data.

// --- plugin
export { dataPlugin, DATA_PLUGIN_NAME } from './plugin.ts';
export { fetchHint } from './fetch-hint.ts';
export { imageFolder, imageFolderOptionsSchema, openImageFolder, describeBadFiles } from './image-folder.ts';
export type { ImageFolderOptions } from './image-folder.ts';
export { shapes, shapesOptionsSchema, openShapes, generateShapes, drawShape, SHAPE_NAMES } from './shapes.ts';
export type { ShapesOptions, ShapesSplit } from './shapes.ts';

// --- CLI functions (`vgglab data split|check|fetch|import-idx`)
export { splitDataset, readManifest, splitClasses, MANIFEST_FORMAT } from './split.ts';
export type { SplitManifest, SplitOptions, SplitResult } from './split.ts';
export { checkDataset, formatCheckReport } from './check.ts';
export type { CheckReport, CheckOptions } from './check.ts';
export { fetchDataset, FetchError } from './fetch.ts';
export type { FetchOptions, FetchResult } from './fetch.ts';
export { importIdx, readIdx } from './idx.ts';
export type { ImportIdxOptions, ImportIdxResult } from './idx.ts';

// --- images and transforms (the runner's `predict` preprocesses like validation)
export { decodeImage, loadImageForInference, loadImageInput, geometryWithSharp, geometryInJs } from './decode.ts';
export type { RawImage } from './decode.ts';
export { probeImage, BadImageError } from './probe.ts';
export type { ImageHeader } from './probe.ts';
export { compileTransforms, validateTransforms, randomResizedCropBox } from './transforms.ts';
export type { TransformPipeline, SamplePlan, Geometry } from './transforms.ts';
export { defaultTransforms, TransformError, TRANSFORM_NAMES } from './transform-steps.ts';
export type { CompileOptions, Interpolation } from './transform-steps.ts';
export { iterateBatches, epochOrder } from './loader.ts';
export type { SampleStore } from './loader.ts';
export { DatasetError, scanClasses } from './scan.ts';
export { KNOWN_DATASETS } from './defaults.ts';
