package training

import (
	"math/rand/v2"
	"slices"
	"testing"
)

func pool(n int) *Lesson {
	l := &Lesson{ID: "x", Lang: "en"}
	for i := range n {
		l.Questions = append(l.Questions, Question{Text: string(rune('a' + i)), Options: []string{"w1", "right", "w2"}, Answer: 1})
	}
	return l
}

// TestDraw: a quiz draws distinct questions of the pool, each option once, and different
// draws differ.
func TestDraw(t *testing.T) {
	l := pool(10)
	r := rand.New(rand.NewPCG(1, 2))
	seen := map[string]bool{}
	for range 50 {
		q := Draw(l, QuizSize, r.IntN)
		if len(q.Items) != QuizSize {
			t.Fatalf("%d items", len(q.Items))
		}
		var qs []int
		key := ""
		for _, it := range q.Items {
			qs = append(qs, it.Question)
			o := slices.Clone(it.Options)
			slices.Sort(o)
			if !slices.Equal(o, []int{0, 1, 2}) {
				t.Fatalf("options %v are not a permutation", it.Options)
			}
			key += string(rune('a'+it.Question)) + string(rune('0'+it.Options[0]))
		}
		slices.Sort(qs)
		if len(slices.Compact(qs)) != QuizSize {
			t.Fatalf("a question drawn twice: %v", qs)
		}
		seen[key] = true
	}
	if len(seen) < 40 {
		t.Fatalf("only %d different quizzes in 50 draws", len(seen))
	}
	// A small pool gives all of it; n out of range gives all of it.
	if q := Draw(pool(3), QuizSize, r.IntN); len(q.Items) != 3 {
		t.Fatalf("%d items from a pool of 3", len(q.Items))
	}
	if q := Draw(pool(7), 0, r.IntN); len(q.Items) != 7 {
		t.Fatalf("%d items for n=0", len(q.Items))
	}
}

// TestGrade: the answer key, as shown, decides; a blank, a wrong or an out-of-range answer
// counts as wrong; the pass mark is 80% in whole numbers.
func TestGrade(t *testing.T) {
	l := pool(5)
	// Options shown in orders that put the right one (pool option 1) at positions 1, 0, 2, 1, 2.
	q := Quiz{Items: []Item{
		{0, []int{0, 1, 2}}, {1, []int{1, 0, 2}}, {2, []int{0, 2, 1}}, {3, []int{2, 1, 0}}, {4, []int{2, 0, 1}},
	}}
	cases := []struct {
		name    string
		answers []int
		correct int
		passed  bool
	}{
		{"all right", []int{1, 0, 2, 1, 2}, 5, true},
		{"one wrong passes (80%)", []int{1, 0, 2, 1, 0}, 4, true},
		{"two wrong fails", []int{1, 0, 2, 0, 0}, 3, false},
		{"the pool's index is not the shown position", []int{1, 1, 1, 1, 1}, 2, false},
		{"one blank", []int{1, 0, 2, 1, Unanswered}, 4, true},
		{"out of range counts wrong", []int{1, 0, 2, 99, -7}, 3, false},
		{"too few answers", []int{1, 0, 2}, 3, false},
		{"no answers", nil, 0, false},
		{"extra answers ignored", []int{1, 0, 2, 1, 2, 1, 1}, 5, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := Grade(l, q, c.answers)
			if r.Correct != c.correct || r.Passed != c.passed || r.Total != 5 {
				t.Fatalf("got %d right, passed %v; want %d, %v", r.Correct, r.Passed, c.correct, c.passed)
			}
			if !slices.Equal(r.RightAnswer, []int{1, 0, 2, 1, 2}) {
				t.Fatalf("right answers %v", r.RightAnswer)
			}
		})
	}
}

func TestScore(t *testing.T) {
	for _, c := range []struct {
		correct, total, percent int
		passed                  bool
	}{
		{4, 5, 80, true}, {3, 5, 60, false}, {5, 5, 100, true}, {0, 5, 0, false},
		{3, 4, 75, false}, {8, 10, 80, true}, {7, 9, 77, false}, {0, 0, 0, false},
	} {
		if p, ok := Score(c.correct, c.total); p != c.percent || ok != c.passed {
			t.Errorf("Score(%d, %d) = %d, %v; want %d, %v", c.correct, c.total, p, ok, c.percent, c.passed)
		}
	}
}
