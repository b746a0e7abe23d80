// Package training holds Spoke's staff security training: the lessons (built-in ones embedded
// from lessons/, in English and Simplified Chinese, and a shop's own from a folder), their
// text format and its parser, drawing a quiz from a lesson's question pool, grading it, and
// the rule that says whether a person's training is current, due, overdue or blocking.
//
// It is pure: the standard library only, no store, no clock of its own and no I/O beyond an
// fs.FS it is handed. The store asks it (and records results, audits, and enforces the gate on
// customer personal data); every front end gets the same answer from the store.
//
// # The lesson format
//
// A lesson is one UTF-8 text file per language (by convention NAME.LANG.lesson, e.g.
// counter.en.lesson), at most 64 KiB:
//
//	spoke-lesson 1
//	id: counter
//	lang: en
//	title: Customer data at the counter and on the phone
//	order: 10
//
//	The text: paragraphs separated by blank lines, "## " headings and "- " bullets
//	(a small subset of Markdown, shown as it is by the command line).
//
//	=== quiz
//	Q: A caller asks for the phone number on "her" account. What do you do?
//	- Read it out: she knows her own name
//	+ Ask her to tell you the number, or call her back on the one on file
//	- Put her on hold and ask a colleague to read it out
//	why: A name is not proof of who is calling.
//
// The first line names the format and its version. Header lines (key: value) follow until a
// blank line: id (lower-case letters, digits and '-', up to 40), lang (en or zh-Hans) and
// title are required, order (a number; lessons are listed by it) is optional. The text runs
// to the line "=== quiz". Each question starts with "Q: ", has 2 to 6 options, each on its
// own line, "- " for a wrong one and "+ " for the one right answer, and may end with a
// "why: " line shown after grading. A lesson needs at least QuizSize questions; the built-in
// ones have at least 8, so two quizzes in a row are rarely the same. A file that breaks a
// rule is refused with its name and line.
package training
