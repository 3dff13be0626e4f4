package transport

import (
	"context"
	"net/url"
	"slices"
	"testing"
)

type nopTransport struct{}

func (nopTransport) Announce(context.Context, *url.URL, *AnnounceRequest) (*AnnounceResponse, error) {
	return &AnnounceResponse{}, nil
}
func (nopTransport) Scrape(context.Context, *url.URL, *ScrapeRequest) (*ScrapeResponse, error) {
	return &ScrapeResponse{}, nil
}
func (nopTransport) Close() error { return nil }

func TestRegistry(t *testing.T) {
	newNop := func(Options) Transport { return nopTransport{} }
	Register(Protocol{Name: "test-a", Schemes: []string{"Testa", "testas"}, New: newNop})
	tests := []struct {
		name  string
		p     Protocol
		panic bool
	}{
		{"no name", Protocol{Schemes: []string{"x1"}, New: newNop}, true},
		{"no schemes", Protocol{Name: "x", New: newNop}, true},
		{"no constructor", Protocol{Name: "x", Schemes: []string{"x2"}}, true},
		{"scheme taken", Protocol{Name: "x", Schemes: []string{"x3", "TESTA"}, New: newNop}, true},
		{"fine", Protocol{Name: "test-b", Schemes: []string{"testb"}, New: newNop}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			defer func() {
				if r := recover(); (r != nil) != tt.panic {
					t.Fatalf("panic %v, want %v", r, tt.panic)
				}
			}()
			Register(tt.p)
		})
	}
	if _, ok := Lookup("x3"); ok {
		t.Fatal("a refused Register left a scheme behind")
	}
	for _, s := range []string{"testa", "TESTAS", "testb"} {
		if p, ok := Lookup(s); !ok || p.New(Options{}) == nil {
			t.Errorf("Lookup(%q) = %v", s, ok)
		}
	}
	if got := Schemes(); !slices.Equal(got, []string{"testa", "testas", "testb"}) {
		t.Errorf("Schemes() = %v", got)
	}
	if ps := Protocols(); len(ps) != 2 || ps[0].Name != "test-a" || ps[1].Name != "test-b" {
		t.Errorf("Protocols() = %v", ps)
	}
}
