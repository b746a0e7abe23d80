package printout

import "testing"

// TestFileName: default names are made of ids only, and nothing a hostile id holds (a path, a
// name) survives into them.
func TestFileName(t *testing.T) {
	for _, c := range []struct {
		kind Kind
		id   string
		want string
	}{
		{Ticket, "0195f0c2-7f3a-7000-8000-00000a7f19c2", "ticket-0A7F-19C2.pdf"},
		{Tag, "0195f0c2-7f3a-7000-8000-00000a7f19c2", "tag-0A7F-19C2.pdf"},
		{Receipt, "0195f0c2-aaaa-7000-8000-0000000051e5", "receipt-0000000051e5.pdf"},
		{Notice, "", "notice.pdf"},
		{Receipt, "../../etc/passwd", "receipt.pdf"},
		{Receipt, "Ada Lovelace/王", "receipt.pdf"},
		{Ticket, "////", "ticket.pdf"},
		{Tag, "deadbeef-cafe", "tag-BEEF-CAFE.pdf"},
	} {
		if got := FileName(c.kind, c.id); got != c.want {
			t.Errorf("FileName(%s, %q) = %q, want %q", c.kind, c.id, got, c.want)
		}
	}
}
