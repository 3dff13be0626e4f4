package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/trackerkit/trackerkit/internal/benchharness/bareudp"
	"github.com/trackerkit/trackerkit/internal/mocktracker"
	"github.com/trackerkit/trackerkit/transport"
)

// trackerProc is a tracker running in a process of its own, on loopback.
type trackerProc struct {
	name    string         // "opentracker" or "mock tracker"
	udp     netip.AddrPort // UDP announce address
	httpURL string         // HTTP announce URL
	cmd     *exec.Cmd
	stop    func() error // ends the process and waits for it
}

func (t *trackerProc) udpURL() string { return "udp://" + t.udp.String() + "/announce" }

// startTracker starts the tracker -tracker asks for: opentracker (installed
// on demand), the mock tracker, or opentracker when available and the mock
// otherwise ("auto").
func startTracker(ctx context.Context, kind string, install bool, hashes []transport.InfoHash, logf func(string, ...any)) (*trackerProc, error) {
	if kind == "mock" {
		return startMockChild(ctx)
	}
	bin, err := exec.LookPath("opentracker")
	if err != nil && install {
		logf("opentracker is not installed: trying apt-get install -y opentracker")
		if ierr := installOpentracker(ctx); ierr != nil {
			logf("cannot install opentracker: %v", ierr)
		}
		bin, err = exec.LookPath("opentracker")
	}
	if err != nil {
		if kind == "opentracker" {
			return nil, fmt.Errorf("opentracker: %w", err)
		}
		logf("opentracker unavailable (%v): falling back to the mock tracker in a child process", err)
		return startMockChild(ctx)
	}
	return startOpentracker(ctx, bin, hashes)
}

// installOpentracker runs apt-get (as root only: it never asks for a
// password).
func installOpentracker(ctx context.Context) error {
	if os.Geteuid() != 0 {
		return errors.New("not root")
	}
	apt, err := exec.LookPath("apt-get")
	if err != nil {
		return err
	}
	cmd := exec.CommandContext(ctx, apt, "install", "-y", "opentracker")
	cmd.Env = append(os.Environ(), "DEBIAN_FRONTEND=noninteractive")
	out, err := cmd.CombinedOutput()
	if err != nil {
		return fmt.Errorf("%w: %s", err, lastLine(out))
	}
	return nil
}

func lastLine(b []byte) string {
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	return lines[len(lines)-1]
}

// startOpentracker runs opentracker on 127.0.0.1 only (TCP and UDP on one
// free port), with a whitelist of hashes: Debian builds it in whitelist
// mode ("access.whitelist"), where unlisted torrents are refused. Run as
// root, opentracker chroots to its directory and drops to user nobody, so
// the directory and files are world-readable and the whitelist is named
// relative to it.
func startOpentracker(ctx context.Context, bin string, hashes []transport.InfoHash) (*trackerProc, error) {
	dir, err := os.MkdirTemp("", "trackerkit-bench-")
	if err != nil {
		return nil, err
	}
	cleanup := func() { os.RemoveAll(dir) }
	if err := os.Chmod(dir, 0o755); err != nil {
		cleanup()
		return nil, err
	}
	var wl strings.Builder
	for _, h := range hashes {
		wl.WriteString(h.String())
		wl.WriteByte('\n')
	}
	if err := os.WriteFile(filepath.Join(dir, "whitelist.txt"), []byte(wl.String()), 0o644); err != nil {
		cleanup()
		return nil, err
	}
	port, err := freePort()
	if err != nil {
		cleanup()
		return nil, err
	}
	addr := netip.AddrPortFrom(netip.AddrFrom4([4]byte{127, 0, 0, 1}), port)
	conf := "listen.tcp_udp " + addr.String() + "\naccess.whitelist whitelist.txt\ntracker.rootdir .\n"
	if err := os.WriteFile(filepath.Join(dir, "opentracker.conf"), []byte(conf), 0o644); err != nil {
		cleanup()
		return nil, err
	}
	cmd := exec.Command(bin, "-f", "opentracker.conf")
	cmd.Dir = dir
	var stderr strings.Builder
	cmd.Stdout, cmd.Stderr = io.Discard, &stderr
	if err := cmd.Start(); err != nil {
		cleanup()
		return nil, err
	}
	t := &trackerProc{
		name: "opentracker " + opentrackerVersion(), udp: addr,
		httpURL: "http://" + addr.String() + "/announce", cmd: cmd,
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	t.stop = func() error {
		cmd.Process.Signal(os.Interrupt)
		select {
		case <-exited:
		case <-time.After(5 * time.Second):
			cmd.Process.Kill()
			<-exited
		}
		cleanup()
		return nil
	}
	// Ready when it answers an announce of a whitelisted torrent over
	// HTTP (the whitelist loads in a thread of its own) and a UDP connect.
	deadline := time.Now().Add(20 * time.Second)
	for {
		err := probe(ctx, t, hashes[0])
		if err == nil {
			return t, nil
		}
		select {
		case e := <-exited:
			cleanup()
			return nil, fmt.Errorf("opentracker exited: %v: %s", e, strings.TrimSpace(stderr.String()))
		default:
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			t.stop()
			return nil, fmt.Errorf("opentracker not ready: %w", err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// opentrackerVersion is the installed Debian package's version, if dpkg
// knows it.
func opentrackerVersion() string {
	out, err := exec.Command("dpkg-query", "-W", "-f", "${Version}", "opentracker").Output()
	if err != nil {
		return "(version unknown)"
	}
	return strings.TrimSpace(string(out))
}

// probe checks that the tracker answers h over HTTP (without a failure
// reason) and a connect over UDP.
func probe(ctx context.Context, t *trackerProc, h transport.InfoHash) error {
	body, err := httpGet(ctx, t.httpURL, announceQuery(h, probePeerID, 1, 0))
	if err != nil {
		return err
	}
	if strings.Contains(string(body), "failure reason") {
		return fmt.Errorf("refused: %q", body)
	}
	conn, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		return err
	}
	defer conn.Close()
	_, err = bareudp.Connect(conn, t.udp, 3)
	return err
}

// freePort returns a port free for both TCP and UDP on 127.0.0.1 (it may
// be taken in between: the tracker then fails to start, and says so).
func freePort() (uint16, error) {
	for range 20 {
		l, err := net.Listen("tcp4", "127.0.0.1:0")
		if err != nil {
			return 0, err
		}
		port := l.Addr().(*net.TCPAddr).Port
		u, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1), Port: port})
		l.Close()
		if err == nil {
			u.Close()
			return uint16(port), nil
		}
	}
	return 0, errors.New("no free port")
}

// childEnv marks the harness re-executed as the mock tracker's process.
const childEnv = "TRACKERKIT_BENCH_MOCK_CHILD"

// startMockChild runs the mock tracker (UDP and HTTP on 127.0.0.1) in a
// child process: this binary again, with childEnv set. The child prints its
// two announce URLs and serves until its stdin closes.
func startMockChild(ctx context.Context) (*trackerProc, error) {
	exe, err := os.Executable()
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(exe)
	cmd.Env = append(os.Environ(), childEnv+"=1")
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	stop := func() error {
		stdin.Close()
		return cmd.Wait()
	}
	line, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil {
		stop()
		return nil, fmt.Errorf("mock tracker child: %w", err)
	}
	f := strings.Fields(line)
	if len(f) != 3 || f[0] != "READY" {
		stop()
		return nil, fmt.Errorf("mock tracker child said %q", line)
	}
	u, err := netip.ParseAddrPort(strings.TrimSuffix(strings.TrimPrefix(f[1], "udp://"), "/announce"))
	if err != nil {
		stop()
		return nil, err
	}
	return &trackerProc{name: "mock tracker (child process " + strconv.Itoa(cmd.Process.Pid) + ")", udp: u, httpURL: f[2], cmd: cmd, stop: stop}, nil
}

// serveMockChild is the child's main: it serves until stdin closes.
func serveMockChild() int {
	mt := mocktracker.New(mocktracker.Config{})
	defer mt.Close()
	udp, err := mt.ListenUDP("127.0.0.1:0")
	if err != nil {
		fmt.Fprintln(os.Stderr, "mock tracker:", err)
		return 1
	}
	http, err := mt.ListenHTTP("127.0.0.1:0")
	if err != nil {
		fmt.Fprintln(os.Stderr, "mock tracker:", err)
		return 1
	}
	fmt.Println("READY", udp, http)
	io.Copy(io.Discard, os.Stdin)
	return 0
}
