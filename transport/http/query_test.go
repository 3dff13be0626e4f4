package http

import (
	"fmt"
	"net/url"
	"strings"
	"testing"

	"github.com/trackerkit/trackerkit/peer"
	"github.com/trackerkit/trackerkit/transport"
)

func TestEscapeEveryByte(t *testing.T) {
	for c := range 256 {
		got := string(appendBytesEscaped(nil, []byte{byte(c)}))
		want := fmt.Sprintf("%%%02X", c)
		if strings.ContainsRune("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~", rune(c)) {
			want = string(rune(c))
		}
		if got != want {
			t.Errorf("byte %#02x: got %q, want %q", c, got, want)
		}
		if back, err := url.QueryUnescape(got); err != nil || back != string([]byte{byte(c)}) {
			t.Errorf("byte %#02x: %q unescapes to %q, %v", c, got, back, err)
		}
	}
}

func TestAnnounceURL(t *testing.T) {
	var h transport.InfoHash
	var pid peer.ID
	for i := range h {
		h[i] = byte(i * 13) // covers unreserved, reserved and high bytes
		pid[i] = "-TK0010-aZ~._ /%+&=\xff"[i]
	}
	const (
		ih = "info_hash=%00%0D%1A%274AN%5Bhu%82%8F%9C%A9%B6%C3%D0%DD%EA%F7"
		id = "peer_id=-TK0010-aZ~._%20%2F%25%2B%26%3D%FF"
	)
	base := transport.AnnounceRequest{InfoHash: h, PeerID: pid, Port: 6881, Uploaded: 1, Downloaded: 2, Left: 3,
		NumWant: transport.NumWantDefault, Key: 0x00ab12cd}
	with := func(f func(*transport.AnnounceRequest)) *transport.AnnounceRequest {
		r := base
		f(&r)
		return &r
	}
	tail := "&port=6881&uploaded=1&downloaded=2&left=3"
	tests := []struct {
		name, url string
		req       *transport.AnnounceRequest
		want      string // request URI on the wire
	}{
		{"plain, event none, numwant default", "http://t.example/announce", &base,
			"/announce?" + ih + "&" + id + tail + "&compact=1&key=00AB12CD"},
		{"started, numwant 50", "http://t.example/announce", with(func(r *transport.AnnounceRequest) { r.Event, r.NumWant = transport.EventStarted, 50 }),
			"/announce?" + ih + "&" + id + tail + "&event=started&compact=1&numwant=50&key=00AB12CD"},
		{"stopped, numwant 0", "http://t.example/announce", with(func(r *transport.AnnounceRequest) { r.Event, r.NumWant = transport.EventStopped, 0 }),
			"/announce?" + ih + "&" + id + tail + "&event=stopped&compact=1&numwant=0&key=00AB12CD"},
		{"completed", "http://t.example/announce", with(func(r *transport.AnnounceRequest) { r.Event = transport.EventCompleted }),
			"/announce?" + ih + "&" + id + tail + "&event=completed&compact=1&key=00AB12CD"},
		{"trackerid echoed", "http://t.example/announce", with(func(r *transport.AnnounceRequest) { r.TrackerID = "tid 1&x" }),
			"/announce?" + ih + "&" + id + tail + "&compact=1&key=00AB12CD&trackerid=tid%201%26x"},
		{"passkey in query kept byte for byte, & appended", "https://t.example/announce.php?passkey=Ab%2Fc+d&uid=7", &base,
			"/announce.php?passkey=Ab%2Fc+d&uid=7&" + ih + "&" + id + tail + "&compact=1&key=00AB12CD"},
		{"passkey in path kept byte for byte", "http://t.example:8080/a%2Fb%20c/announce", &base,
			"/a%2Fb%20c/announce?" + ih + "&" + id + tail + "&compact=1&key=00AB12CD"},
		{"query ending in &", "http://t.example/announce?pk=1&", &base,
			"/announce?pk=1&" + ih + "&" + id + tail + "&compact=1&key=00AB12CD"},
		{"fragment dropped, empty query", "http://t.example/announce?#frag", &base,
			"/announce?" + ih + "&" + id + tail + "&compact=1&key=00AB12CD"},
		{"negative counters sent as 0, unknown left as 16384", "http://t.example/announce", with(func(r *transport.AnnounceRequest) { r.Uploaded, r.Downloaded, r.Left = -1, -1, transport.LeftUnknown }),
			"/announce?" + ih + "&" + id + "&port=6881&uploaded=0&downloaded=0&left=16384&compact=1&key=00AB12CD"},
		{"custom params after ours, sorted, reserved and tracker's own names left out", "http://t.example/announce?pk=1",
			with(func(r *transport.AnnounceRequest) {
				r.Params = url.Values{"zz": {"a b", "&"}, "aa": {"1"}, "left": {"0"}, "pk": {"2"}, "info_hash": {"x"}, "": {"e"}}
			}),
			"/announce?pk=1&" + ih + "&" + id + tail + "&compact=1&key=00AB12CD&aa=1&zz=a+b&zz=%26"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			u, err := url.Parse(tt.url)
			if err != nil {
				t.Fatal(err)
			}
			before := *u
			got := withQuery(u, func(q []byte) []byte {
				return appendCustomParams(appendAnnounceQuery(q, tt.req), tt.req.Params, u.RawQuery)
			})
			if uri := got.RequestURI(); uri != tt.want {
				t.Errorf("request URI\n got %s\nwant %s", uri, tt.want)
			}
			if *u != before {
				t.Error("the caller's URL was modified")
			}
			for _, p := range []string{"ip=", "ipv4=", "ipv6="} {
				if strings.Contains("&"+got.RawQuery, "&"+p) {
					t.Errorf("%s sent", p)
				}
			}
		})
	}
}

func TestScrapeQuery(t *testing.T) {
	a := transport.InfoHash{0x81}
	b := transport.InfoHash{'i', 'i'}
	got := string(appendScrapeQuery([]byte("pk=1&"), []transport.InfoHash{a, b}))
	want := "pk=1&info_hash=%81%00%00%00%00%00%00%00%00%00%00%00%00%00%00%00%00%00%00%00" +
		"&info_hash=ii%00%00%00%00%00%00%00%00%00%00%00%00%00%00%00%00%00%00"
	if got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
}

func TestWithQueryNoParams(t *testing.T) {
	for _, s := range []string{"http://t.example/scrape", "http://t.example/scrape?pk=1"} {
		u := mustURL(s)
		if got := withQuery(u, func(q []byte) []byte { return q }).String(); got != s {
			t.Errorf("%s became %s", s, got)
		}
	}
}
