// Every URL of this site that the page links to or loads but that is not under the sub-path
// `base`: called as `(this function)(base)`. Attributes are resolved the way the browser
// resolves them (against `document.baseURI`, so a <base href> counts), for SVG links too.
(base => Array.from(document.querySelectorAll(
  'a[href], link[href], script[src], img[src], iframe[src], source[src], [*|href]:not(a):not(link)'))
  .map(e => e.getAttribute('href') || e.getAttribute('src') || e.getAttribute('xlink:href'))
  .filter(Boolean)
  .map(url => new URL(url, document.baseURI).href)
  .filter(url => url.startsWith(location.origin + '/') && !url.startsWith(base)))
