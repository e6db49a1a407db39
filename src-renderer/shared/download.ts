/**
 * Saves text produced by the main side (e.g. a CSV export) as a file through the page itself: a Blob
 * URL and a temporary `<a download>`. Works the same in browser mode (the browser's download) and in
 * the desktop app (Electron's save dialog for downloads); no file path crosses the contract.
 */
export function downloadText(fileName: string, text: string, type = 'text/csv;charset=utf-8'): void {
  const url = URL.createObjectURL(new Blob([text], { type }));
  const link = document.createElement('a');
  link.href = url;
  link.download = fileName;
  link.rel = 'noopener';
  link.style.display = 'none';
  document.body.appendChild(link);
  link.click();
  link.remove();
  // The download has started from the URL by now; keep it a moment for slower hosts, then free it.
  window.setTimeout(() => URL.revokeObjectURL(url), 10_000);
}
