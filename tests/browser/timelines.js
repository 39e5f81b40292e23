(() => {
  // Every timeline figure on the page: per drawn timeline, its lanes (one `g.lane` per worker,
  // which figures::timeline writes), a span rectangle with an area in each, a lane name among
  // the picture's texts, and the summary in sentences right after the picture.
  const problems = [];
  let timelines = 0;
  const figures = document.querySelectorAll('figure.timeline');
  figures.forEach((figure, f) => {
    const svgs = figure.querySelectorAll(':scope > svg');
    if (!svgs.length) problems.push(`timeline figure ${f + 1} has no SVG`);
    svgs.forEach((svg, s) => {
      timelines += 1;
      const where = `timeline figure ${f + 1}, picture ${s + 1}`;
      const lanes = Array.from(svg.querySelectorAll('g.lane'));
      if (!lanes.length) problems.push(`${where} has no lane`);
      lanes.forEach((lane, l) => {
        const spans = Array.from(lane.querySelectorAll('rect')).filter(r => {
          const b = r.getBBox();
          return b.width > 0 && b.height > 0;
        });
        if (!spans.length) {
          problems.push(`${where}: lane ${l + 1} (${lane.dataset.lane}) has no span drawn`);
        }
      });
      const names = new Set(lanes.map(l => l.dataset.lane));
      const labels = Array.from(svg.querySelectorAll('text'))
        .filter(t => names.has(t.textContent.trim()));
      if (!labels.length) problems.push(`${where} has no lane label`);
      const summary = svg.nextElementSibling;
      if (!summary || !summary.matches('p.timeline-summary')) {
        problems.push(`${where} has no summary (p.timeline-summary) after it`);
      } else {
        const text = summary.textContent;
        const workers = `${lanes.length} worker${lanes.length === 1 ? '' : 's'}`;
        if (!text.includes(workers)) {
          problems.push(`${where}: the summary does not say "${workers}": ${text.slice(0, 120)}`);
        }
        const missing = Array.from(names).filter(name => !text.includes(`${name} (`));
        if (missing.length) {
          problems.push(`${where}: the summary does not tell of ${missing.join(', ')}`);
        }
      }
      if (svg.getBoundingClientRect().height < 10) problems.push(`${where} is drawn with no size`);
    });
  });
  return { problems, figures: figures.length, timelines };
})()
