package main

import (
	"errors"
	"reflect"
	"strings"
	"testing"
)

const testHash = "50b2dfb972ba534c0bc4cceedf78309cbdc1bd58"

func TestParseMagnet(t *testing.T) {
	tests := []struct {
		name      string
		in        string
		wantName  string
		wantSize  int64
		wantTiers [][]string
		wantParam string // "" for success (and wantErr "")
		wantErr   string
		wantHash  string // the announced hash; "" for testHash
	}{
		{name: "hex", in: "magnet:?xt=urn:btih:" + testHash, wantSize: -1},
		{name: "upper hex, MAGNET scheme", in: "MAGNET:?xt=URN:BTIH:" + strings.ToUpper(testHash), wantSize: -1},
		{name: "base32", in: "magnet:?xt=urn:btih:KCZN7OLSXJJUYC6EZTXN66BQTS64DPKY", wantSize: -1},
		{name: "base32 lower", in: "magnet:?xt=urn:btih:kczn7olsxjjuyc6eztxn66bqts64dpky", wantSize: -1},
		{name: "trackers each a tier, dn, xl", in: "magnet:?xt=urn:btih:" + testHash +
			"&dn=Big+Buck%20Bunny&tr=udp%3A%2F%2Fa.test%3A1337&tr=wss://b.test&tr=udp://a.test:1337&tr=&xl=1024",
			wantName: "Big Buck Bunny", wantSize: 1024, wantTiers: [][]string{{"udp://a.test:1337"}, {"wss://b.test"}}},
		{name: "numbered params", in: "magnet:?xt.1=urn:btih:" + testHash + "&tr.1=http://a.test/announce&tr.2=http://b.test/announce",
			wantSize: -1, wantTiers: [][]string{{"http://a.test/announce"}, {"http://b.test/announce"}}},
		{name: "hybrid: btmh next to btih", in: "magnet:?xt=urn:btih:" + testHash + "&xt=urn:btmh:1220" + strings.Repeat("ab", 32), wantSize: -1},
		{name: "hybrid: btmh first", in: "magnet:?xt=urn:btmh:1220" + strings.Repeat("ab", 32) + "&xt=urn:btih:" + testHash, wantSize: -1},
		{name: "same btih twice", in: "magnet:?xt=urn:btih:" + testHash + "&xt=urn:btih:KCZN7OLSXJJUYC6EZTXN66BQTS64DPKY", wantSize: -1},
		{name: "unknown params and bad escapes in them ignored", in: "magnet:?xt=urn:btih:" + testHash + "&x.pe=1.2.3.4:5&ws=%zz&&kt=a+b", wantSize: -1},
		{name: "passkey survives", in: "magnet:?xt=urn:btih:" + testHash + "&tr=https%3A%2F%2Fp.test%2Fannounce%3Fpasskey%3Dabc%26x%3D1",
			wantSize: -1, wantTiers: [][]string{{"https://p.test/announce?passkey=abc&x=1"}}},

		{name: "not a magnet", in: "http://x", wantErr: `does not start with "magnet:"`},
		{name: "no query", in: "magnet:xt=urn:btih:" + testHash, wantErr: `no "?"`},
		{name: "no xt", in: "magnet:?dn=x", wantParam: "xt", wantErr: "missing urn:btih:<info hash> or urn:btmh"},
		{name: "other urn only", in: "magnet:?xt=urn:sha1:abc", wantParam: "xt", wantErr: "missing urn:btih"},
		{name: "v2 only", in: "magnet:?xt=urn:btmh:1220" + strings.Repeat("AB", 32), wantSize: -1, wantHash: strings.Repeat("ab", 20)},
		{name: "btmh not sha-256", in: "magnet:?xt=urn:btmh:1320" + strings.Repeat("ab", 32), wantParam: "xt", wantErr: "not a SHA-256 multihash"},
		{name: "btmh short", in: "magnet:?xt=urn:btmh:1220abcd", wantParam: "xt", wantErr: "want 64 hex characters"},
		{name: "btmh tiny", in: "magnet:?xt=urn:btmh:12", wantParam: "xt", wantErr: "not a SHA-256 multihash"},
		{name: "two btmh", in: "magnet:?xt=urn:btmh:1220" + strings.Repeat("ab", 32) + "&xt=urn:btmh:1220" + strings.Repeat("cd", 32), wantParam: "xt", wantErr: "two different urn:btmh"},
		{name: "short hash", in: "magnet:?xt=urn:btih:abcd", wantParam: "xt", wantErr: "urn:btih:abcd is not 40 hex or 32 base32"},
		{name: "bad hex", in: "magnet:?xt=urn:btih:" + strings.Repeat("g", 40), wantParam: "xt", wantErr: "not 40 hex"},
		{name: "bad base32", in: "magnet:?xt=urn:btih:" + strings.Repeat("1", 32), wantParam: "xt", wantErr: "not 40 hex"},
		{name: "two hashes", in: "magnet:?xt=urn:btih:" + testHash + "&xt=urn:btih:" + strings.Repeat("0", 40), wantParam: "xt", wantErr: "two different"},
		{name: "bad escape in tr", in: "magnet:?xt=urn:btih:" + testHash + "&tr=udp%3", wantParam: "tr", wantErr: "bad percent-encoding"},
		{name: "bad xl", in: "magnet:?xt=urn:btih:" + testHash + "&xl=-1", wantParam: "xl", wantErr: "not a size"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseMagnet(tt.in)
			if tt.wantErr != "" {
				var me *MagnetError
				if !errors.As(err, &me) || me.Param != tt.wantParam || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want param %q and %q", err, tt.wantParam, tt.wantErr)
				}
				if !errors.Is(err, ErrBadTarget) || !strings.HasPrefix(err.Error(), "bad magnet URI: ") {
					t.Errorf("error %q", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			wantHash := tt.wantHash
			if wantHash == "" {
				wantHash = testHash
			}
			if got.InfoHash.String() != wantHash || got.Name != tt.wantName || got.Size != tt.wantSize || !reflect.DeepEqual(got.Tiers, tt.wantTiers) {
				t.Errorf("got %s %q %d %v", got.InfoHash, got.Name, got.Size, got.Tiers)
			}
		})
	}
}

func TestTrackerLists(t *testing.T) {
	tiers := addTrackers([][]string{{"udp://a.test:1", "http://b.test/announce"}}, []string{"http://b.test/announce", "wss://c.test", "wss://c.test"})
	if want := [][]string{{"udp://a.test:1", "http://b.test/announce"}, {"wss://c.test"}}; !reflect.DeepEqual(tiers, want) {
		t.Errorf("addTrackers = %v", tiers)
	}
	kept, warnings := filterTrackers([][]string{
		{"dht://x", "udp://a.test:1"},
		{"udp://nohost.test", "http:///announce", "https://p.test/s3cretpasskey0000/announce\x7f"},
		{"HTTPS://ok.test/announce", "ws://ok.test", "wss://ok.test"},
	})
	if want := [][]string{{"udp://a.test:1"}, {"HTTPS://ok.test/announce", "ws://ok.test", "wss://ok.test"}}; !reflect.DeepEqual(kept, want) {
		t.Errorf("kept %v", kept)
	}
	if len(warnings) != 4 {
		t.Fatalf("warnings %q", warnings)
	}
	for i, want := range []string{`unsupported scheme "dht"`, "udp tracker without a port", "no host", "not a URL"} {
		if !strings.Contains(warnings[i].String(), want) {
			t.Errorf("warning %d = %q, want %q", i, warnings[i], want)
		}
	}
	for _, w := range warnings {
		if strings.Contains(w.String(), "s3cret") {
			t.Errorf("warning leaks a secret: %q", w)
		}
	}
}
