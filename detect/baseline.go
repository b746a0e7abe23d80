package detect

import (
	"math"
	"slices"
)

// ring holds the newest values of a daily feature (at most its cap), oldest first after
// Next: a 90-day baseline that forgets what is older.
type ring struct {
	V    []float64 `json:"v"`
	Next int       `json:"next"`
}

func (r *ring) push(v float64, capacity int) {
	if len(r.V) < capacity {
		r.V = append(r.V, v)
		return
	}
	r.V[r.Next] = v
	r.Next = (r.Next + 1) % capacity
}

// stats are the robust summary of a ring.
type stats struct {
	n                   int
	med, mad, q95, maxv float64
}

func (r *ring) stats() stats {
	n := len(r.V)
	if n == 0 {
		return stats{}
	}
	v := slices.Clone(r.V)
	slices.Sort(v)
	st := stats{n: n, med: quantile(v, 0.5), q95: quantile(v, 0.95), maxv: v[n-1]}
	for i := range v {
		v[i] = math.Abs(v[i] - st.med)
	}
	slices.Sort(v)
	st.mad = quantile(v, 0.5)
	return st
}

// quantile of sorted values, by linear interpolation.
func quantile(sorted []float64, p float64) float64 {
	if len(sorted) == 0 {
		return 0
	}
	x := p * float64(len(sorted)-1)
	i := int(x)
	if i >= len(sorted)-1 {
		return sorted[len(sorted)-1]
	}
	f := x - float64(i)
	return sorted[i]*(1-f) + sorted[i+1]*f
}

// ewma is an exponentially weighted mean of a daily share.
type ewma struct {
	Mean float64 `json:"mean"`
	N    int     `json:"n"`
}

func (e *ewma) add(v, alpha float64) {
	if e.N == 0 {
		e.Mean = v
	} else {
		e.Mean += alpha * (v - e.Mean)
	}
	e.N++
}

// spread is a robust scale: the MAD as a standard deviation, at least a fraction of the
// median and at least min (counts are whole: a quiet user's MAD of 0 must not make one more
// event an outlier).
func (s stats) spread(frac, min float64) float64 {
	return math.Max(math.Max(1.4826*s.mad, frac*s.med), min)
}
