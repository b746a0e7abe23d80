package store

// The merge rule, in one place. Every field (table, row, column) converges to the write with
// the greatest stamp: hybrid logical clock first, device id to break a tie, so every device
// that has seen the same writes holds the same value whatever order they arrived in. A staff
// record merges as a whole row (it is MAC'd and owner-signed as one). A write that loses is
// kept as a conflict when its value differs, except on bookkeeping columns; so is a local
// write not yet pushed that an incoming one overwrites. ApplyRemote asks decide and then
// applies what it says; nothing else in the store compares stamps.

// stamp is a write's place in the merge order.
type stamp struct {
	hlc    uint64
	device string
}

// after reports whether a is later than b in the merge order.
func (a stamp) after(b stamp) bool {
	return a.hlc > b.hlc || (a.hlc == b.hlc && a.device > b.device)
}

// held is what this device holds for one field: its newest write.
type held struct {
	ok       bool // the field has a write at all
	at       stamp
	value    any
	unpushed bool // written on this device and not yet pushed
}

// incoming is one field write of a change-set.
type incoming struct {
	at     stamp
	column string
	value  any
	// rowWins, for a staff record this device already holds, is the whole row's verdict
	// (rowVerdicts); nil otherwise.
	rowWins *bool
}

// verdict is decide's answer for one incoming write.
type verdict struct {
	apply bool // the incoming value becomes the field's value
	// conflict: keep the losing value (the incoming one when !apply, the held one when
	// apply) for a person to review.
	conflict bool
}

// decide applies the merge rule to one incoming field write against what is held.
func decide(in incoming, cur held) verdict {
	wins := !cur.ok || in.at.after(cur.at)
	if in.rowWins != nil {
		wins = *in.rowWins
	}
	differs := !sameValue(in.value, cur.value) && !bookkeeping[in.column]
	if !wins {
		return verdict{conflict: differs}
	}
	return verdict{apply: true, conflict: cur.ok && cur.unpushed && differs}
}

// rowVerdicts decides whole-row merges: for each row, whether the newest incoming write (of
// any column) is later than the newest held one. Rows not held are absent (every write wins).
func rowVerdicts(incomingNewest, heldNewest map[string]stamp) map[string]bool {
	out := map[string]bool{}
	for id, in := range incomingNewest {
		if h, ok := heldNewest[id]; ok {
			out[id] = in.after(h)
		}
	}
	return out
}

// bookkeeping columns change with every edit; a lost value there is not worth a conflict.
var bookkeeping = map[string]bool{"updated_at": true}

// sameValue compares two stored values ([]byte by content).
func sameValue(a, b any) bool {
	switch x := a.(type) {
	case []byte:
		y, ok := b.([]byte)
		return ok && string(x) == string(y)
	}
	return a == b
}
