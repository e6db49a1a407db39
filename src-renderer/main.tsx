import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { Root } from './app/Root';
import { reloadOnNewLink, selectTransport } from './app/transport';

// Chosen once per page load: the preload object in Electron, the HTTP bridge in a browser.
const selection = selectTransport();
if (selection.kind === 'missing-token' || selection.host === 'browser') reloadOnNewLink();

const container = document.getElementById('root');
if (!container) throw new Error('FundusLab: #root is missing from index.html');
createRoot(container).render(
  <StrictMode>
    <Root selection={selection} />
  </StrictMode>,
);
