package testenv

import (
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestModuleRoot checks that the root found from this package's directory
// is two levels up and holds trackerkit's go.mod.
func TestModuleRoot(t *testing.T) {
	root := ModuleRoot(t)
	if want, _ := filepath.Abs(filepath.Join("..", "..")); root != want {
		t.Errorf("ModuleRoot = %s, want %s", root, want)
	}
	mod, err := os.ReadFile(filepath.Join(root, "go.mod"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(string(mod), "module github.com/trackerkit/trackerkit\n") {
		t.Errorf("go.mod at the root starts %.60q", mod)
	}
}

// TestGoCommand checks that the go command found is one that exists (the
// test is skipped with -short, or without a go command).
func TestGoCommand(t *testing.T) {
	goBin := GoCommand(t, "nothing")
	if _, err := os.Stat(goBin); err != nil {
		t.Errorf("GoCommand = %s: %v", goBin, err)
	}
}

// TestProcessCPU checks that the process's CPU time never goes back (it
// is 0 where it is not measured).
func TestProcessCPU(t *testing.T) {
	before := ProcessCPU()
	for i := 0; ProcessCPU() == before && i < 1e7; i++ {
	}
	if after := ProcessCPU(); after < before {
		t.Errorf("CPU time went from %v back to %v", before, after)
	}
}

// TestServeUDP sends datagrams to an echo server and a server that never
// answers: the echo comes back from the server's address.
func TestServeUDP(t *testing.T) {
	echo := ServeUDP(t, func(req []byte, _ netip.AddrPort) []byte { return req })
	silent := ServeUDP(t, func([]byte, netip.AddrPort) []byte { return nil })
	conn, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	for _, msg := range []string{"one", "two"} {
		if _, err := conn.WriteToUDPAddrPort([]byte(msg), silent); err != nil {
			t.Fatal(err)
		}
		if _, err := conn.WriteToUDPAddrPort([]byte(msg), echo); err != nil {
			t.Fatal(err)
		}
		buf := make([]byte, 16)
		n, from, err := conn.ReadFromUDPAddrPort(buf)
		if err != nil || from != echo || string(buf[:n]) != msg {
			t.Fatalf("read %q from %v (%v), want %q from %v", buf[:n], from, err, msg, echo)
		}
	}
}
