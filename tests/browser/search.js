// Opens mdBook's search and types a term: called as `(this function)(term)`.
(term => {
  document.getElementById('mdbook-search-toggle').click();
  const bar = document.getElementById('mdbook-searchbar');
  bar.value = term;
  bar.dispatchEvent(new Event('input', {bubbles: true}));
  bar.dispatchEvent(new KeyboardEvent('keyup', {key: 'k', bubbles: true}));
  return true;
})
