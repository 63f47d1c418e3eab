/**
 * Every default of @vgglab/data, in one place.
 */
import os from 'node:os';

/** The seed's split: 10% of each class for validation, seed 0. The split seed is fixed (not the
 * experiment seed) so runs with different seeds are validated on the same images. */
export const DEFAULT_VAL_FRACTION = 0.1;
export const DEFAULT_SPLIT_SEED = 0;

/** Files checked at once by `data check` and strict opening: two per core keeps libvips busy. */
export const DEFAULT_CONCURRENCY = Math.max(2, os.availableParallelism() * 2);
/** Headers read at once when a dataset opens (small reads, mostly waiting on the disk). */
export const PROBE_CONCURRENCY = 16;
/** Batches decoded ahead of the consumer when BatchOptions.prefetch is not given. */
export const DEFAULT_PREFETCH = 2;
/** A memory cache stops growing past this many bytes (a warning says so), a quarter of the RAM. */
export const DEFAULT_MEMORY_CACHE_BYTES = Math.floor(os.totalmem() / 4);

/** Bytes read from the start of a file to find a JPEG/PNG header without decoding it. */
export const HEADER_PROBE_BYTES = 64 * 1024;

/** JPEGs from this many pixels up are decoded at 1/2-1/8 scale when a crop is at least twice the output. */
export const PRESCALE_MIN_PIXELS = 500_000;

/** libvips abort level: 'warning' also rejects recoverable corrupt data, so `data check` and training agree. */
export const FAIL_ON = 'warning' as const;

/** torchvision's RandomResizedCrop defaults. */
export const RRC_SCALE: [number, number] = [0.08, 1];
export const RRC_RATIO: [number, number] = [3 / 4, 4 / 3];
export const RRC_ATTEMPTS = 10;
export const DEFAULT_FLIP_P = 0.5;
/** torchvision uses bilinear (antialiased) resampling for Resize and RandomResizedCrop. */
export const DEFAULT_INTERPOLATION = 'bilinear' as const;

/** The shapes dataset. */
export const SHAPES_DEFAULTS = {
  classes: ['circle', 'square', 'triangle', 'star', 'cross'],
  trainCount: 2000,
  valCount: 500,
  /** Per-pixel background noise (standard deviation on [0, 1] pixels). */
  noise: 0.04,
  /** The dataset's own seed: the images stay the same whatever the experiment seed. */
  seed: 0,
} as const;

/** Datasets `fetchDataset` knows by name. The size is from the published file; its checksum is not known. */
export const KNOWN_DATASETS: Record<string, { url: string; size?: number; sha256?: string; extractsTo: string }> = {
  flowers: {
    url: 'http://download.tensorflow.org/example_images/flower_photos.tgz',
    size: 228_813_984,
    extractsTo: 'flower_photos',
  },
};
export const DEFAULT_FETCH_RETRIES = 3;
