document.readyState === 'complete' &&
  Array.from(document.querySelectorAll('pre.mermaid'))
    .every(pre => pre.querySelector('svg') || pre.hasAttribute('data-processed'))
