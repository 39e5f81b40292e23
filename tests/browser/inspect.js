(() => {
  const problems = [];
  const errorText = /Syntax error|Parse error|Lexical error/i;
  document.querySelectorAll('pre.mermaid').forEach((pre, i) => {
    const svg = pre.querySelector('svg');
    if (!svg) {
      const source = (pre.textContent || '').trim().split('\n')[0].slice(0, 80);
      problems.push(`mermaid diagram ${i + 1} did not become an SVG: "${source}"`);
      return;
    }
    // What the picture says (its <style> is text too, but not words).
    const words = Array.from(svg.querySelectorAll('text, foreignObject'))
      .map(t => t.textContent.trim()).filter(Boolean).join(' ');
    if (svg.getAttribute('aria-roledescription') === 'error' || errorText.test(words)) {
      problems.push(`mermaid diagram ${i + 1} is mermaid's error picture: "${words.slice(0, 120)}"`);
    } else if (svg.getBoundingClientRect().height < 10) {
      problems.push(`mermaid diagram ${i + 1} is drawn empty`);
    }
  });
  // mermaid draws some errors in a box of its own at the end of <body>.
  document.querySelectorAll('body > div[id^="dmermaid"], body > svg[aria-roledescription="error"]').forEach(box => {
    if (errorText.test(box.textContent)) problems.push(`mermaid error: ${box.textContent.trim().slice(0, 120)}`);
  });
  document.querySelectorAll('figure.chart').forEach((figure, i) => {
    const svg = figure.querySelector('svg');
    if (!svg) { problems.push(`chart ${i + 1} has no SVG`); return; }
    const box = svg.getBoundingClientRect();
    // A data mark: a filled shape with an area that is not the whole chart (a background).
    const marks = Array.from(svg.querySelectorAll('rect, path, polygon, circle')).filter(mark => {
      const b = mark.getBBox();
      const fill = (mark.getAttribute('fill') || getComputedStyle(mark).fill || '').toLowerCase();
      return b.width > 0 && b.height > 0 && fill !== 'none' && fill !== 'transparent' &&
        !(b.width >= box.width - 1 && b.height >= box.height - 1);
    });
    if (box.width < 10 || box.height < 10) problems.push(`chart ${i + 1} is drawn with no size`);
    if (!marks.length) problems.push(`chart ${i + 1} has no data marks (bars) in its SVG`);
  });
  return {
    problems,
    diagrams: document.querySelectorAll('pre.mermaid').length,
    charts: document.querySelectorAll('figure.chart').length,
    quizzes: document.querySelectorAll('.tvp-quiz, .tvp-quiz-drill, .tvp-quiz-index').length,
  };
})()
