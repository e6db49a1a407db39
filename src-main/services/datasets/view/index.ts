/** Read-only views of a study's imported datasets (the `datasets.*` channels). */
export { getDataset, listDatasets, listItems, loadDataset, findDataset, resolveStudy } from './study-datasets';
export { datasetImage, type ImageRequest, type ImageAnswer } from './images';
export { csvPreview, type CsvPreview } from './csv-preview';
