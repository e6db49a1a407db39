// Renders assets/icon.svg to assets/icon.png (512x512, RGBA), the icon electron-builder packages
// for Linux and converts for Windows (.ico) and macOS (.icns). Run after editing the SVG:
//   node scripts/make-icons.mjs
import sharp from 'sharp';
import { fileURLToPath } from 'node:url';
import path from 'node:path';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const source = path.join(root, 'assets', 'icon.svg');
const target = path.join(root, 'assets', 'icon.png');
const size = 512;

const info = await sharp(source, { density: 72 * 4 })
  .resize(size, size, { fit: 'contain', background: { r: 0, g: 0, b: 0, alpha: 0 } })
  .ensureAlpha()
  .png({ compressionLevel: 9 })
  .toFile(target);
console.log(`make-icons: ${path.relative(root, target)} ${info.width}x${info.height} (${info.size} bytes)`);
