package main

import "testing"

func TestCLITransports(t *testing.T) {
	all, closeAll := cliTransports()
	defer closeAll()
	for _, s := range []string{"http", "https", "udp"} {
		if all[s] == nil {
			t.Errorf("no %s transport", s)
		}
	}
}
