package main

import (
	"testing"

	"github.com/trackerkit/trackerkit/transport"
)

func TestCLITransports(t *testing.T) {
	all, closeAll := cliTransports(transport.Options{}, defaultTimeout)
	defer closeAll()
	for _, s := range []string{"http", "https", "udp"} {
		if all[s] == nil {
			t.Errorf("no %s transport", s)
		}
	}
}
