package hub

import (
	"bytes"
	"mime"
	"mime/multipart"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"strings"
	"testing"
)

func TestOneClick(t *testing.T) {
	var mp bytes.Buffer
	mw := multipart.NewWriter(&mp)
	mw.WriteField("other", "x")
	mw.WriteField("List-Unsubscribe", "One-Click")
	mw.Close()
	for _, c := range []struct {
		ct, body string
		ok       bool
	}{
		{"application/x-www-form-urlencoded", "List-Unsubscribe=One-Click", true},
		{"application/x-www-form-urlencoded; charset=UTF-8", "a=b&List-Unsubscribe=One-Click", true},
		{mw.FormDataContentType(), mp.String(), true},
		{"multipart/form-data; boundary=nope", mp.String(), false},
		{"application/x-www-form-urlencoded", "List-Unsubscribe=one-click", false},
		{"application/x-www-form-urlencoded", "list-unsubscribe=One-Click", false},
		{"application/x-www-form-urlencoded", "List-Unsubscribe=One-Click;x", false},
		{"application/x-www-form-urlencoded", "%zz", false},
		{"text/plain", "List-Unsubscribe=One-Click", false},
		{"", "List-Unsubscribe=One-Click", false},
	} {
		if got := oneClick(c.ct, []byte(c.body)); got != c.ok {
			t.Errorf("oneClick(%q, %q) = %v, want %v", c.ct, c.body, got, c.ok)
		}
	}
}

// FuzzOneClick: the one-click body parser never panics, accepts only the two form types, and
// a form it accepts holds the field once, with the value One-Click.
func FuzzOneClick(f *testing.F) {
	var mp bytes.Buffer
	mw := multipart.NewWriter(&mp)
	mw.WriteField("List-Unsubscribe", "One-Click")
	mw.Close()
	f.Add("application/x-www-form-urlencoded", []byte("List-Unsubscribe=One-Click"))
	f.Add(mw.FormDataContentType(), mp.Bytes())
	f.Add("multipart/form-data; boundary=x", []byte("--x\r\nContent-Disposition: form-data; name=\"List-Unsubscribe\"\r\n\r\nOne-Click\r\n--x--\r\n"))
	f.Fuzz(func(t *testing.T, ct string, body []byte) {
		if !oneClick(ct, body) {
			return
		}
		mt, _, err := mime.ParseMediaType(ct)
		if err != nil || mt != "application/x-www-form-urlencoded" && mt != "multipart/form-data" {
			t.Fatalf("accepted a body of type %q", ct)
		}
		if mt == "application/x-www-form-urlencoded" {
			form, err := url.ParseQuery(string(body))
			if err != nil || len(form["List-Unsubscribe"]) != 1 || strings.TrimSpace(form.Get("List-Unsubscribe")) != "One-Click" {
				t.Fatalf("accepted %q", body)
			}
		}
	})
}

func TestClientAddr(t *testing.T) {
	for _, c := range []struct {
		remote, xff string
		trust       bool
		want        string
	}{
		{"192.0.2.1:5000", "", false, "192.0.2.1"},
		{"192.0.2.1:5000", "198.51.100.1", false, "192.0.2.1"}, // the TLS listener trusts no header
		{"192.0.2.1:5000", "198.51.100.1", true, "192.0.2.1"},  // nor the public one from a remote peer
		{"127.0.0.1:5000", "10.0.0.1, 198.51.100.1", true, "198.51.100.1"},
		{"127.0.0.1:5000", "garbage", true, "127.0.0.1"},
		{"[2001:db8:1:2:3:4:5:6]:443", "", false, "2001:db8:1:2::"}, // one /64
		{"[::ffff:192.0.2.7]:443", "", false, "192.0.2.7"},
	} {
		r := httptest.NewRequest("GET", "/u/x", nil)
		r.RemoteAddr = c.remote
		if c.xff != "" {
			r.Header.Set("X-Forwarded-For", c.xff)
		}
		if got := clientAddr(r, c.trust); got != netip.MustParseAddr(c.want) {
			t.Errorf("%+v: %v", c, got)
		}
	}
}
