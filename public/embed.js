// Purse's embed loader: the one script a host page includes (see README, "Embed Purse in your
// page"). It starts Purse's WebAssembly in embed mode; the wasm then turns every
// `data-purse-tip` and `data-purse-wallet` mount point into a Tip button or the wallet
// launcher, including mount points the page adds later. Loading it twice starts Purse once.
const base = new URL('./', import.meta.url).href;
// A string, not just truthy: an element with id="__purseEmbed" shows up as a global too.
if (typeof globalThis.__purseEmbed !== 'string') {
  globalThis.__purseEmbed = base;
  const { default: init } = await import(base + 'purse-embed.js');
  await init();
}
