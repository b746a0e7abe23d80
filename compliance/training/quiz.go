package training

// The quiz rules.
const (
	// QuizSize is how many questions a quiz draws from a lesson's pool.
	QuizSize = 5
	// PassPercent is the pass mark: at least this share of right answers (4 of 5).
	PassPercent = 80
)

// Quiz is one drawn quiz: which questions of a lesson's pool, in what order, each with its
// options in the order shown. It is the answer key: it stays with whoever grades.
type Quiz struct {
	Items []Item
}

// Item is one question of a quiz.
type Item struct {
	Question int   // its index in the lesson's pool
	Options  []int // Options[i] is the pool option shown at position i
}

// Draw draws a quiz of n questions (all of them when the pool is smaller) from l, shuffling
// the questions and each question's options. intn(k) returns a number in [0, k): the caller's
// source of randomness (math/rand/v2's IntN; tests pass a fixed one).
func Draw(l *Lesson, n int, intn func(int) int) Quiz {
	pool := make([]int, len(l.Questions))
	for i := range pool {
		pool[i] = i
	}
	shuffle(pool, intn)
	if n > len(pool) || n < 1 {
		n = len(pool)
	}
	q := Quiz{Items: make([]Item, n)}
	for i := range n {
		opts := make([]int, len(l.Questions[pool[i]].Options))
		for j := range opts {
			opts[j] = j
		}
		shuffle(opts, intn)
		q.Items[i] = Item{Question: pool[i], Options: opts}
	}
	return q
}

// shuffle is Fisher-Yates over intn.
func shuffle(s []int, intn func(int) int) {
	for i := len(s) - 1; i > 0; i-- {
		j := intn(i + 1)
		s[i], s[j] = s[j], s[i]
	}
}

// Result is a graded quiz.
type Result struct {
	Correct, Total int
	Percent        int  // right answers as a whole percentage, rounded down
	Passed         bool // Percent reached PassPercent
	// Right[i] says whether item i was answered right; RightAnswer[i] is the position (as
	// shown) of its right option.
	Right       []bool
	RightAnswer []int
}

// Unanswered is the answer for a question left blank.
const Unanswered = -1

// Grade grades answers (the position chosen of each item, as shown; Unanswered for none)
// against the quiz's key in l. A missing or out-of-range answer counts as wrong. It is a pure
// function of its arguments.
func Grade(l *Lesson, q Quiz, answers []int) Result {
	r := Result{Total: len(q.Items), Right: make([]bool, len(q.Items)), RightAnswer: make([]int, len(q.Items))}
	for i, it := range q.Items {
		right := -1
		for pos, opt := range it.Options {
			if it.Question >= 0 && it.Question < len(l.Questions) && opt == l.Questions[it.Question].Answer {
				right = pos
			}
		}
		r.RightAnswer[i] = right
		if i < len(answers) && answers[i] >= 0 && answers[i] == right {
			r.Right[i] = true
			r.Correct++
		}
	}
	r.Percent, r.Passed = Score(r.Correct, r.Total)
	return r
}

// Score turns right answers out of total into a percentage (rounded down) and whether it
// passes: correct*100 >= PassPercent*total, in whole numbers, so 4 of 5 passes and 3 of 4
// does not. An empty quiz does not pass.
func Score(correct, total int) (percent int, passed bool) {
	if total <= 0 {
		return 0, false
	}
	return correct * 100 / total, correct*100 >= PassPercent*total
}
