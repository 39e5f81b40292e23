(() => {
  const problems = [];
  let answered = 0;
  const data = container => {
    const script = container.querySelector('script[type="application/json"]');
    try { return script ? JSON.parse(script.textContent) : null; } catch (e) { return null; }
  };
  const answer = (li, q, where) => {
    if (li.classList.contains('tvp-answered')) li.querySelector('.tvp-q-retry').click();
    const inputs = Array.from(li.querySelectorAll('.tvp-q-form input, .tvp-q-form textarea'));
    const choices = inputs.filter(i => i.type === 'radio' || i.type === 'checkbox');
    const texts = inputs.filter(i => i.type !== 'radio' && i.type !== 'checkbox');
    const kind = q ? q.kind : (texts.length && !choices.length ? 'short' : 'single');
    let expectRight = !!q;
    if (kind === 'single' || kind === 'multi') {
      const right = q ? q.choices.map((c, i) => c.correct ? i : -1).filter(i => i >= 0) : [0];
      choices.forEach((input, i) => { input.checked = right.includes(i); });
    } else if (kind === 'short') {
      texts[0].value = q && q.accepted && q.accepted.length ? q.accepted[0] : 'an answer';
    } else {
      // Tracing: does it compile, then its output or the failing line.
      const [yes, no] = choices;
      const compiles = q ? q.compiles : true;
      (compiles ? yes : no).checked = true;
      (compiles ? yes : no).dispatchEvent(new Event('change'));
      const output = li.querySelector('.tvp-q-output');
      const line = li.querySelector('.tvp-q-line');
      if (compiles) output.value = q ? q.accepted[0] : 'output';
      else line.value = String(q ? q.line : 1);
    }
    li.querySelector('.tvp-q-check').click();
    const verdict = (li.querySelector('.tvp-q-verdict') || {}).textContent || '';
    const details = li.querySelector('.tvp-q-details');
    if (!li.classList.contains('tvp-answered') || !verdict.trim()) {
      problems.push(`${where}: the question took no answer (no verdict after Check)`);
    } else if (!details || !details.textContent.trim()) {
      problems.push(`${where}: the answer got no explanation`);
    } else if (expectRight && !li.classList.contains('tvp-correct')) {
      problems.push(`${where}: the quiz's own right answer was marked wrong (${verdict})`);
    }
    answered++;
  };
  document.querySelectorAll('.tvp-quiz').forEach(container => {
    const quiz = data(container);
    const id = container.getAttribute('data-quiz-id') || (quiz && quiz.id) || '?';
    if (!container.classList.contains('tvp-ready')) { problems.push(`quiz ${id} did not render`); return; }
    const items = container.querySelectorAll('li.tvp-q');
    if (!quiz || items.length !== quiz.questions.length) {
      problems.push(`quiz ${id}: ${items.length} questions shown, ${quiz ? quiz.questions.length : '?'} in its data`);
    }
    items.forEach(li => {
      const qid = li.getAttribute('data-question-id');
      const q = quiz && quiz.questions.find(x => x.id === qid);
      answer(li, q, `quiz ${id}, question ${qid}`);
    });
  });
  document.querySelectorAll('.tvp-quiz-drill').forEach(container => {
    if (!container.classList.contains('tvp-ready')) { problems.push('the drill did not render'); return; }
    const li = container.querySelector('li.tvp-q');
    if (li) answer(li, null, `the drill, question ${li.getAttribute('data-question-id')}`);
    else if (!/no quizzes/i.test(container.textContent)) problems.push('the drill shows no question');
  });
  document.querySelectorAll('.tvp-quiz-index').forEach(container => {
    if (!container.classList.contains('tvp-ready')) problems.push('the quiz index did not render');
  });
  return { problems, answered };
})()
