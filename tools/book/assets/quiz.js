/*
 * The book's quiz widget: ours, plain JavaScript with no dependencies, so it works offline and
 * from file://. The book tool's `quiz` preprocessor (tools/book/src/quiz.rs) has already
 * validated every quiz and rendered its Markdown, and embeds:
 *
 *   div.tvp-quiz        one quiz: JSON {id, title, questions}, answered in place;
 *   div.tvp-quiz-index  every quiz: a table whose progress cells are filled in here;
 *   div.tvp-quiz-drill  every quiz's questions, one at a time, in a seeded random order.
 *
 * Progress lives in localStorage under "tvp-quiz:v1:QUIZ:QUESTION" as {rev, correct, answer}.
 * `rev` is a hash of the question: an answer saved for an older version of a question is not
 * shown as an answer to the new one.
 */
(function () {
    'use strict';

    var PREFIX = 'tvp-quiz:v1:';

    // ---- Storage: localStorage if the browser allows it, else memory for this page view. ----

    var memory = {};
    var storage = (function () {
        try {
            var s = window.localStorage;
            s.setItem(PREFIX + 'probe', '1');
            s.removeItem(PREFIX + 'probe');
            return s;
        } catch (e) {
            return null; // Private modes and some file:// setups refuse storage.
        }
    })();

    function storageKey(quizId, questionId) {
        return PREFIX + quizId + ':' + questionId;
    }

    function readRecord(quizId, question) {
        var raw = storage ? storage.getItem(storageKey(quizId, question.id))
            : memory[storageKey(quizId, question.id)];
        if (!raw) return null;
        try {
            var record = JSON.parse(raw);
            return record && record.rev === question.rev ? record : null;
        } catch (e) {
            return null;
        }
    }

    function writeRecord(quizId, question, record) {
        var raw = JSON.stringify(record);
        var key = storageKey(quizId, question.id);
        if (storage) {
            try {
                storage.setItem(key, raw);
                return;
            } catch (e) { /* full: keep it in memory instead */ }
        }
        memory[key] = raw;
    }

    function removeKeys(prefix) {
        Object.keys(memory).forEach(function (k) {
            if (k.indexOf(prefix) === 0) delete memory[k];
        });
        if (!storage) return;
        var doomed = [];
        for (var i = 0; i < storage.length; i++) {
            var k = storage.key(i);
            if (k && k.indexOf(prefix) === 0) doomed.push(k);
        }
        doomed.forEach(function (k) { storage.removeItem(k); });
    }

    // ---- Small helpers. ----

    function el(tag, className, html) {
        var node = document.createElement(tag);
        if (className) node.className = className;
        if (html !== undefined) node.innerHTML = html; // Only HTML the book tool rendered.
        return node;
    }

    function text(tag, className, content) {
        var node = el(tag, className);
        node.textContent = content; // Anything the reader typed goes in as text.
        return node;
    }

    function button(label, className, onClick) {
        var b = text('button', className, label);
        b.type = 'button';
        b.addEventListener('click', onClick);
        return b;
    }

    /** A button that asks for a second click before doing something that loses answers. */
    function confirmButton(label, confirmLabel, className, onConfirm) {
        var armed = null;
        var b = button(label, className, function () {
            if (armed) {
                clearTimeout(armed);
                armed = null;
                b.textContent = label;
                onConfirm();
                return;
            }
            b.textContent = confirmLabel;
            armed = setTimeout(function () {
                armed = null;
                b.textContent = label;
            }, 4000);
        });
        return b;
    }

    function readJson(container) {
        var script = container.querySelector('script[type="application/json"]');
        try {
            return script ? JSON.parse(script.textContent) : null;
        } catch (e) {
            return null;
        }
    }

    /** Case, spaces and line breaks do not count: "Parent 1\nchild 2" is "parent 1 child 2". */
    function normalize(s) {
        return String(s).toLowerCase().replace(/\s+/g, '');
    }

    function matches(list, answer) {
        var n = normalize(answer);
        return (list || []).some(function (a) { return normalize(a) === n; });
    }

    /** mdBook's highlight.js has run before us; code we add is highlighted here. */
    function highlight(root) {
        root.querySelectorAll('pre code').forEach(function (block) {
            if (block.classList.contains('hljs')) return;
            var hljs = window.hljs;
            if (hljs && /\blanguage-/.test(block.className)) {
                try {
                    (hljs.highlightElement || hljs.highlightBlock).call(hljs, block);
                } catch (e) { /* plain text is fine */ }
            }
            block.classList.add('hljs');
        });
    }

    var uid = 0;

    // ---- Grading. ----

    /** Whether an answer is right. Answers: a choice index (single), a list of indexes
     *  (multi), a string (short), {compiles, text} (tracing). */
    function grade(q, answer) {
        switch (q.kind) {
            case 'single':
                return !!(q.choices[answer] && q.choices[answer].correct);
            case 'multi':
                return q.choices.every(function (c, i) {
                    return c.correct === (answer.indexOf(i) >= 0);
                });
            case 'short':
                return matches(q.accepted, answer);
            case 'tracing':
                if (answer.compiles !== q.compiles) return false;
                return q.compiles ? matches(q.accepted, answer.text)
                    : parseInt(answer.text, 10) === q.line;
        }
        return false;
    }

    /** The explanation written for what the reader typed, if the author anticipated it. */
    function responseFor(q, typed) {
        var n = normalize(typed);
        for (var i = 0; i < (q.responses || []).length; i++) {
            if (normalize(q.responses[i].answer) === n) return q.responses[i];
        }
        return null;
    }

    // ---- One question: its form, and the feedback after an answer. ----

    /**
     * Builds a question. `options.onAnswer(record)` is called when the reader submits;
     * `options.saved` restores an earlier answer.
     */
    function Question(q, options) {
        var self = this;
        var name = 'tvp-q-' + (++uid);
        this.q = q;
        this.node = el('li', 'tvp-q');
        this.node.setAttribute('data-question-id', q.id);
        this.node.appendChild(el('div', 'tvp-q-prompt', q.prompt));
        if (q.program !== undefined) this.node.appendChild(programBlock(q.program));

        var form = this.form = el('form', 'tvp-q-form');
        form.addEventListener('submit', function (event) {
            event.preventDefault();
            self.submit(options.onAnswer);
        });
        this.read = buildInputs(q, form, name);
        var actions = el('div', 'tvp-q-actions');
        this.check = text('button', 'tvp-q-check', 'Check');
        this.check.type = 'submit';
        this.retry = button('Try again', 'tvp-q-retry', function () {
            self.clear();
            if (options.onRetry) options.onRetry();
        });
        this.hint = text('span', 'tvp-q-hint', '');
        actions.appendChild(this.check);
        actions.appendChild(this.retry);
        actions.appendChild(this.hint);
        form.appendChild(actions);
        this.node.appendChild(form);
        this.verdict = el('div', 'tvp-q-verdict');
        this.details = el('div', 'tvp-q-details');
        this.node.appendChild(this.verdict);
        this.node.appendChild(this.details);
        this.clear();
        if (options.saved) this.show(options.saved, false);
        highlight(this.node);
    }

    Question.prototype.submit = function (onAnswer) {
        var answer = this.read.get();
        if (answer === null) {
            this.hint.textContent = this.q.kind === 'multi' ? 'Select at least one choice.'
                : this.q.kind === 'tracing' ? 'Say whether it compiles, and what it prints or which line fails.'
                    : this.q.kind === 'short' ? 'Type an answer first.' : 'Choose an answer first.';
            return;
        }
        var record = { rev: this.q.rev, correct: grade(this.q, answer), answer: answer, at: Date.now() };
        this.show(record, true);
        if (onAnswer) onAnswer(record);
    };

    /** Shows an answer: inputs locked and filled in, verdict, and (if `open`) explanations. */
    Question.prototype.show = function (record, open) {
        this.record = record;
        this.read.set(record.answer);
        this.read.lock(true);
        this.check.hidden = true;
        this.retry.hidden = false;
        this.hint.textContent = '';
        this.node.classList.add('tvp-answered');
        this.node.classList.toggle('tvp-correct', record.correct);
        this.node.classList.toggle('tvp-incorrect', !record.correct);
        this.node.classList.toggle('tvp-open', !!open);
        this.verdict.textContent = record.correct ? '✓ Correct' : '✗ Not quite';
        this.details.innerHTML = '';
        this.details.appendChild(feedback(this.q, record.answer));
        highlight(this.details);
    };

    /** Back to unanswered. */
    Question.prototype.clear = function () {
        this.record = null;
        this.read.set(null);
        this.read.lock(false);
        this.check.hidden = false;
        this.retry.hidden = true;
        this.hint.textContent = '';
        this.node.classList.remove('tvp-answered', 'tvp-correct', 'tvp-incorrect', 'tvp-open');
        this.verdict.textContent = '';
        this.details.innerHTML = '';
    };

    /** A program with line numbers beside it (a `Tracing` answer may be a line number). */
    function programBlock(program) {
        var lines = program.split('\n');
        var box = el('div', 'tvp-q-program');
        var gutter = text('pre', 'tvp-q-gutter', lines.map(function (_, i) { return i + 1; }).join('\n'));
        gutter.setAttribute('aria-hidden', 'true');
        var pre = el('pre');
        var code = text('code', 'language-rust', program);
        pre.appendChild(code);
        box.appendChild(gutter);
        box.appendChild(pre);
        return box;
    }

    /** The inputs for a question's kind, and how to read, fill in and lock them. */
    function buildInputs(q, form, name) {
        if (q.kind === 'single' || q.kind === 'multi') {
            var box = el('fieldset', 'tvp-q-choices');
            var inputs = q.choices.map(function (choice, i) {
                var label = el('label', 'tvp-choice');
                var input = el('input');
                input.type = q.kind === 'single' ? 'radio' : 'checkbox';
                input.name = name;
                input.value = String(i);
                label.appendChild(input);
                label.appendChild(el('span', 'tvp-choice-text', choice.html));
                box.appendChild(label);
                return input;
            });
            form.appendChild(box);
            return {
                get: function () {
                    var picked = [];
                    inputs.forEach(function (input, i) { if (input.checked) picked.push(i); });
                    if (!picked.length) return null;
                    return q.kind === 'single' ? picked[0] : picked;
                },
                set: function (answer) {
                    inputs.forEach(function (input, i) {
                        input.checked = answer !== null && answer !== undefined &&
                            (q.kind === 'single' ? answer === i : answer.indexOf(i) >= 0);
                    });
                },
                lock: function (on) { inputs.forEach(function (input) { input.disabled = on; }); },
            };
        }
        if (q.kind === 'short') {
            var field = el(q.long ? 'textarea' : 'input', 'tvp-q-text');
            if (!q.long) field.type = 'text';
            field.setAttribute('autocomplete', 'off');
            field.setAttribute('spellcheck', 'false');
            field.setAttribute('aria-label', 'Your answer');
            field.placeholder = 'Your answer';
            form.appendChild(field);
            return {
                get: function () { return field.value.trim() ? field.value.trim() : null; },
                set: function (answer) { field.value = answer || ''; },
                lock: function (on) { field.readOnly = on; },
            };
        }
        // Tracing: does it compile, then either its output or the failing line.
        var which = el('fieldset', 'tvp-q-choices tvp-q-compiles');
        var yes = el('input');
        var no = el('input');
        [[yes, 'It compiles'], [no, 'It does not compile']].forEach(function (pair) {
            var label = el('label', 'tvp-choice');
            pair[0].type = 'radio';
            pair[0].name = name;
            label.appendChild(pair[0]);
            label.appendChild(text('span', 'tvp-choice-text', pair[1]));
            which.appendChild(label);
        });
        var outputBox = el('label', 'tvp-q-field');
        outputBox.appendChild(text('span', '', 'It prints:'));
        var output = el('textarea', 'tvp-q-text tvp-q-output');
        output.setAttribute('spellcheck', 'false');
        output.rows = 3;
        outputBox.appendChild(output);
        var lineBox = el('label', 'tvp-q-field');
        lineBox.appendChild(text('span', '', 'The error is on line:'));
        var line = el('input', 'tvp-q-text tvp-q-line');
        line.type = 'number';
        line.min = '1';
        line.max = String(q.program.split('\n').length);
        lineBox.appendChild(line);
        function sync() {
            outputBox.hidden = !yes.checked;
            lineBox.hidden = !no.checked;
        }
        yes.addEventListener('change', sync);
        no.addEventListener('change', sync);
        form.appendChild(which);
        form.appendChild(outputBox);
        form.appendChild(lineBox);
        return {
            get: function () {
                if (yes.checked) return { compiles: true, text: output.value.replace(/\s+$/, '') };
                if (no.checked && line.value) return { compiles: false, text: line.value };
                return null;
            },
            set: function (answer) {
                yes.checked = !!answer && answer.compiles === true;
                no.checked = !!answer && answer.compiles === false;
                output.value = answer && answer.compiles ? answer.text : '';
                line.value = answer && !answer.compiles ? answer.text : '';
                sync();
            },
            lock: function (on) {
                yes.disabled = no.disabled = on;
                output.readOnly = line.readOnly = on;
            },
        };
    }

    /** Why each choice is right or wrong, or what the answer is; then the question's context. */
    function feedback(q, answer) {
        var box = el('div', 'tvp-q-feedback');
        if (q.kind === 'single' || q.kind === 'multi') {
            var list = el('ul', 'tvp-explain');
            q.choices.forEach(function (choice, i) {
                var picked = q.kind === 'single' ? answer === i : answer.indexOf(i) >= 0;
                var item = el('li', choice.correct ? 'tvp-right' : 'tvp-wrong');
                var head = el('div', 'tvp-explain-head');
                head.appendChild(text('span', 'tvp-mark', choice.correct ? '✓ Right' : '✗ Wrong'));
                if (picked) head.appendChild(text('span', 'tvp-picked', 'your choice'));
                head.appendChild(el('span', 'tvp-choice-text', choice.html));
                item.appendChild(head);
                item.appendChild(el('div', 'tvp-why', choice.why));
                list.appendChild(item);
            });
            box.appendChild(list);
        } else if (q.kind === 'short') {
            var p = el('p', 'tvp-accepted');
            p.appendChild(document.createTextNode(q.accepted.length > 1 ? 'Accepted answers: ' : 'The answer: '));
            q.accepted.forEach(function (a, i) {
                if (i) p.appendChild(document.createTextNode(', '));
                p.appendChild(text('code', '', a));
            });
            box.appendChild(p);
            addResponse(box, q, answer);
        } else {
            if (q.compiles) {
                box.appendChild(text('p', '', 'It compiles, and prints:'));
                q.accepted.forEach(function (out, i) {
                    if (i === 1) {
                        box.appendChild(text('p', '', 'or, just as right (the order is up to the scheduler):'));
                    }
                    var pre = el('pre', 'tvp-output');
                    pre.appendChild(text('code', '', out));
                    box.appendChild(pre);
                });
            } else {
                box.appendChild(text('p', '', 'It does not compile: the error is on line ' + q.line + '.'));
            }
            if (answer.compiles === q.compiles) addResponse(box, q, answer.text);
        }
        if (q.context) box.appendChild(el('div', 'tvp-context', q.context));
        return box;
    }

    function addResponse(box, q, typed) {
        var response = responseFor(q, typed);
        if (!response) return;
        var note = el('div', 'tvp-response');
        var head = el('p');
        head.appendChild(document.createTextNode('You answered '));
        head.appendChild(text('code', '', typed));
        head.appendChild(document.createTextNode(':'));
        note.appendChild(head);
        note.appendChild(el('div', '', response.why));
        box.appendChild(note);
    }

    // ---- A quiz on a chapter page. ----

    function renderQuiz(container) {
        var quiz = readJson(container);
        if (!quiz) return;
        var widget = el('section', 'tvp-quiz-widget');
        var head = el('div', 'tvp-quiz-head');
        head.appendChild(text('span', 'tvp-quiz-title', 'Quiz: ' + quiz.title));
        var score = text('span', 'tvp-quiz-score', '');
        head.appendChild(score);
        var tools = el('span', 'tvp-quiz-tools');
        var review = button('Review', 'tvp-quiz-review', function () {
            var on = widget.classList.toggle('tvp-reviewing');
            review.textContent = on ? 'Hide review' : 'Review';
        });
        review.title = 'Show your saved answers with their explanations';
        tools.appendChild(review);
        tools.appendChild(confirmButton('Reset', 'Really reset?', 'tvp-quiz-reset', function () {
            removeKeys(PREFIX + quiz.id + ':');
            questions.forEach(function (question) { question.clear(); });
            update();
        }));
        head.appendChild(tools);
        widget.appendChild(head);

        var list = el('ol', 'tvp-quiz-questions');
        var questions = quiz.questions.map(function (q) {
            var question = new Question(q, {
                saved: readRecord(quiz.id, q),
                onAnswer: function (record) {
                    writeRecord(quiz.id, q, record);
                    update();
                },
                onRetry: function () {
                    removeKeys(storageKey(quiz.id, q.id));
                    update();
                },
            });
            list.appendChild(question.node);
            return question;
        });
        widget.appendChild(list);

        function update() {
            var answered = questions.filter(function (x) { return x.record; });
            var right = answered.filter(function (x) { return x.record.correct; });
            score.textContent = answered.length
                ? answered.length + ' of ' + questions.length + ' answered, ' + right.length + ' right'
                : questions.length + ' questions';
            review.disabled = !answered.length;
            if (!answered.length) {
                widget.classList.remove('tvp-reviewing');
                review.textContent = 'Review';
            }
        }
        update();
        container.appendChild(widget);
        container.classList.add('tvp-ready');
    }

    // ---- The index of every quiz, with progress. ----

    function renderIndex(container) {
        var data = readJson(container);
        if (!data) return;
        var table = container.querySelector('table');
        var totals = null;
        if (table && data.quizzes.length) {
            var foot = el('tfoot');
            totals = el('tr');
            foot.appendChild(totals);
            table.appendChild(foot);
            var again = el('p', 'tvp-quiz-index-tools');
            again.appendChild(confirmButton('Reset all progress', 'Really reset every quiz?',
                'tvp-quiz-reset', function () {
                    removeKeys(PREFIX);
                    fill();
                }));
            container.appendChild(again);
        }

        function fill() {
            var all = { questions: 0, answered: 0, right: 0 };
            data.quizzes.forEach(function (quiz) {
                var answered = 0;
                var right = 0;
                quiz.questions.forEach(function (pair) {
                    var record = readRecord(quiz.id, { id: pair[0], rev: pair[1] });
                    if (record) {
                        answered++;
                        if (record.correct) right++;
                    }
                });
                all.questions += quiz.questions.length;
                all.answered += answered;
                all.right += right;
                var row = container.querySelector('tr[data-quiz-id="' + quiz.id + '"]');
                var cell = row && row.querySelector('.tvp-quiz-progress');
                if (cell) setProgress(cell, answered, right, quiz.questions.length);
            });
            if (totals) {
                totals.innerHTML = '';
                totals.appendChild(text('th', '', 'All quizzes'));
                totals.appendChild(text('td', '', String(all.questions)));
                var cell = el('td', 'tvp-quiz-progress');
                setProgress(cell, all.answered, all.right, all.questions);
                totals.appendChild(cell);
                var drill = el('td');
                if (data.drill) {
                    var link = text('a', '', 'drill');
                    link.href = data.drill;
                    drill.appendChild(link);
                }
                totals.appendChild(drill);
            }
        }

        fill();
        // Answers given in another tab show up here too.
        window.addEventListener('storage', function (event) {
            if (!event.key || event.key.indexOf(PREFIX) === 0) fill();
        });
        container.classList.add('tvp-ready');
    }

    function setProgress(cell, answered, right, total) {
        cell.innerHTML = '';
        var bar = el('span', 'tvp-bar');
        var rightPart = el('span', 'tvp-bar-right');
        var wrongPart = el('span', 'tvp-bar-wrong');
        rightPart.style.width = (total ? 100 * right / total : 0) + '%';
        wrongPart.style.width = (total ? 100 * (answered - right) / total : 0) + '%';
        bar.appendChild(rightPart);
        bar.appendChild(wrongPart);
        cell.appendChild(bar);
        cell.appendChild(text('span', 'tvp-bar-label',
            answered ? answered + '/' + total + ' answered, ' + right + ' right' : 'not started'));
    }

    // ---- The drill: every question, one at a time, in an order fixed by a seed. ----

    /** mulberry32: a tiny seeded PRNG, so a seed always deals the same drill. */
    function mulberry32(seed) {
        var a = seed >>> 0;
        return function () {
            a = (a + 0x6D2B79F5) >>> 0;
            var t = a;
            t = Math.imul(t ^ (t >>> 15), t | 1);
            t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
            return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
        };
    }

    function shuffled(list, seed) {
        var random = mulberry32(seed);
        var out = list.slice();
        for (var i = out.length - 1; i > 0; i--) {
            var j = Math.floor(random() * (i + 1));
            var tmp = out[i];
            out[i] = out[j];
            out[j] = tmp;
        }
        return out;
    }

    function hashParams() {
        var params = {};
        window.location.hash.replace(/^#/, '').split('&').forEach(function (part) {
            var kv = part.split('=');
            if (kv[0]) params[decodeURIComponent(kv[0])] = decodeURIComponent(kv[1] || '');
        });
        return params;
    }

    function newSeed() {
        return 1 + Math.floor(Math.random() * 999999);
    }

    function renderDrill(container) {
        var data = readJson(container);
        if (!data) return;
        var widget = el('section', 'tvp-quiz-widget tvp-drill');
        container.appendChild(widget);
        container.classList.add('tvp-ready');

        function setHash(seed, quizId) {
            var hash = '#seed=' + seed + (quizId ? '&quiz=' + encodeURIComponent(quizId) : '');
            try {
                window.history.replaceState(null, '', hash);
            } catch (e) {
                window.location.hash = hash;
            }
        }

        function start() {
            var params = hashParams();
            var byId = {};
            data.quizzes.forEach(function (quiz) { byId[quiz.id] = quiz; });
            var only = byId[params.quiz] ? params.quiz : null;
            var seed = parseInt(params.seed, 10);
            if (!(seed > 0) || String(seed) !== params.seed) {
                seed = newSeed();
                setHash(seed, only);
            }
            var pool = [];
            data.quizzes.forEach(function (quiz) {
                if (only && quiz.id !== only) return;
                quiz.questions.forEach(function (q) { pool.push({ quiz: quiz, q: q }); });
            });
            run(shuffled(pool, seed), seed, only ? byId[only] : null);
        }

        function run(deck, seed, only) {
            var at = 0;
            var right = 0;
            var answered = 0;
            widget.innerHTML = '';
            var head = el('div', 'tvp-quiz-head');
            head.appendChild(text('span', 'tvp-quiz-title', only ? 'Drill: ' + only.title : 'Drill: every quiz'));
            var seedLabel = el('span', 'tvp-drill-seed');
            seedLabel.appendChild(document.createTextNode('seed '));
            var seedLink = text('a', '', String(seed));
            seedLink.href = '#seed=' + seed + (only ? '&quiz=' + encodeURIComponent(only.id) : '');
            seedLink.title = 'The address of this drill: the same seed deals the same questions';
            seedLabel.appendChild(seedLink);
            head.appendChild(seedLabel);
            var score = text('span', 'tvp-quiz-score', '');
            head.appendChild(score);
            var tools = el('span', 'tvp-quiz-tools');
            tools.appendChild(button('New drill', 'tvp-drill-new', function () {
                setHash(newSeed(), only && only.id);
                start();
            }));
            if (only) {
                tools.appendChild(button('All quizzes', 'tvp-drill-all', function () {
                    setHash(newSeed(), null);
                    start();
                }));
            }
            head.appendChild(tools);
            widget.appendChild(head);
            var stage = el('div', 'tvp-drill-stage');
            widget.appendChild(stage);

            function status() {
                score.textContent = deck.length
                    ? 'question ' + Math.min(at + 1, deck.length) + ' of ' + deck.length + ' · ' +
                    right + ' right of ' + answered
                    : 'no questions';
            }

            function show() {
                stage.innerHTML = '';
                status();
                if (at >= deck.length) {
                    var done = el('div', 'tvp-drill-done');
                    done.appendChild(text('p', '', deck.length
                        ? 'Done: ' + right + ' of ' + deck.length + ' right.'
                        : 'There are no quizzes to drill yet.'));
                    done.appendChild(button('Same drill again', '', function () { run(deck, seed, only); }));
                    done.appendChild(button('New drill', '', function () {
                        setHash(newSeed(), only && only.id);
                        start();
                    }));
                    stage.appendChild(done);
                    return;
                }
                var card = deck[at];
                var from = el('p', 'tvp-drill-from');
                from.appendChild(document.createTextNode('From '));
                if (card.quiz.href) {
                    var link = text('a', '', card.quiz.title);
                    link.href = card.quiz.href;
                    from.appendChild(link);
                } else {
                    from.appendChild(text('em', '', card.quiz.title));
                }
                stage.appendChild(from);
                var list = el('ol', 'tvp-quiz-questions');
                list.start = at + 1;
                var next = button(at + 1 < deck.length ? 'Next question' : 'Finish', 'tvp-drill-next', function () {
                    at++;
                    show();
                    widget.scrollIntoView({ block: 'start' });
                });
                var counted = false;
                var question = new Question(card.q, {
                    onAnswer: function (record) {
                        // A drill answer counts as the reader's answer to that quiz question.
                        writeRecord(card.quiz.id, card.q, record);
                        if (!counted) {
                            counted = true;
                            answered++;
                            if (record.correct) right++;
                        }
                        status();
                        next.textContent = at + 1 < deck.length ? 'Next question' : 'Finish';
                    },
                });
                list.appendChild(question.node);
                stage.appendChild(list);
                var actions = el('div', 'tvp-drill-actions');
                actions.appendChild(next);
                next.textContent = 'Skip';
                stage.appendChild(actions);
            }
            show();
        }

        start();
        window.addEventListener('hashchange', start);
    }

    function init() {
        document.querySelectorAll('.tvp-quiz').forEach(renderQuiz);
        document.querySelectorAll('.tvp-quiz-index').forEach(renderIndex);
        document.querySelectorAll('.tvp-quiz-drill').forEach(renderDrill);
    }

    if (document.readyState === 'loading') {
        document.addEventListener('DOMContentLoaded', init);
    } else {
        init();
    }
})();
