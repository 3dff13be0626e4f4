package http

import (
	"errors"
	"strings"
	"testing"

	"github.com/trackerkit/trackerkit/transport"
)

// parseSeeds are the fuzzers' starting points: the torrust samples and the
// edge cases of the parser tests.
var parseSeeds = []string{
	torrustCompact,
	torrustNonCompact,
	torrustScrape,
	"d8:intervali60ee",
	"d14:failure reason4:busy8:retry ini30ee",
	"d14:failure reason4:gone8:retry in5:nevere",
	"d8:intervali1e5:peers7:1234567e",
	"d8:intervali1e5:peersld2:ip16:peer.example.org4:porti6881eeee",
	"d8:intervali1e11:external ip4:\x01\x02\x03\x04e",
	"d8:intervali1e1:x4611686018427387904:ae",
	"d8:intervali99999999999999999999ee",
	"d5:filesd20:aaaaaaaaaaaaaaaaaaaad8:completei-1eee",
	strings.Repeat("l", 40) + strings.Repeat("e", 40),
	"",
}

// addParseSeeds adds parseSeeds to a fuzzer's corpus.
func addParseSeeds(f *testing.F) {
	for _, s := range parseSeeds {
		f.Add([]byte(s))
	}
}

// checkParseError fails unless err is one of the typed errors a parser may
// return.
func checkParseError(t *testing.T, err error) {
	var me *transport.MalformedError
	var fe *transport.FailureError
	if !errors.As(err, &me) && !errors.As(err, &fe) {
		t.Fatalf("untyped error %T: %v", err, err)
	}
}

func FuzzParseAnnounce(f *testing.F) {
	addParseSeeds(f)
	f.Fuzz(func(t *testing.T, b []byte) {
		r, err := ParseAnnounce(b)
		if err != nil {
			if r != nil {
				t.Fatal("response and error both returned")
			}
			checkParseError(t, err)
			return
		}
		if r.Interval < 0 || r.MinInterval < 0 || r.Complete < -1 || r.Incomplete < -1 {
			t.Fatalf("out-of-range field in %+v", r)
		}
		if len(r.Peers)*6 > len(b) {
			t.Fatalf("%d peers from %d bytes", len(r.Peers), len(b))
		}
		for _, p := range r.Peers {
			if p.Addr.Port() == 0 || (!p.Addr.Addr().IsValid() && p.Host == "") {
				t.Fatalf("unusable peer %+v", p)
			}
		}
	})
}

func FuzzParseScrape(f *testing.F) {
	addParseSeeds(f)
	f.Fuzz(func(t *testing.T, b []byte) {
		r, err := ParseScrape(b)
		if err != nil {
			checkParseError(t, err)
			return
		}
		if r.Files == nil {
			t.Fatal("nil Files without an error")
		}
		for h, st := range r.Files {
			if st.Complete < -1 || st.Incomplete < -1 || st.Downloaded < -1 {
				t.Fatalf("out-of-range stats for %v: %+v", h, st)
			}
		}
	})
}
