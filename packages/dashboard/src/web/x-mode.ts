/** What a chart's x axis shows: a type of its own so the pure modules (series, zoom) need not import the chart. */
export type XMode = 'step' | 'epoch' | 'relative' | 'wall';
