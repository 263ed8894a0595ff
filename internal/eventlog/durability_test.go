package eventlog

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// helperDirEnv tells the re-executed test binary to act as a publisher
// writing to the data dir it names.
const (
	helperDirEnv  = "KUBU_EVENTLOG_HELPER_DIR"
	helperSyncEnv = "KUBU_EVENTLOG_HELPER_SYNC" // Config.SyncInterval
)

// TestHelperProcess is not a test: run by TestDurableAfterSIGKILL in a
// child process, it publishes until killed and prints "ack SEQ INDEX" for
// every acknowledged batch.
func TestHelperProcess(t *testing.T) {
	dir := os.Getenv(helperDirEnv)
	if dir == "" {
		t.Skip("helper process for TestDurableAfterSIGKILL")
	}
	ctx := context.Background()
	sync, err := time.ParseDuration(os.Getenv(helperSyncEnv))
	if err != nil {
		fmt.Fprintln(os.Stderr, "sync interval:", err)
		os.Exit(3)
	}
	l, err := Open(ctx, Config{DataDir: dir, SyncInterval: sync})
	if err != nil {
		fmt.Fprintln(os.Stderr, "open:", err)
		os.Exit(3)
	}
	subj, _ := l.Subject("MOH")
	out := bufio.NewWriter(os.Stdout)
	for i := 0; ; i++ {
		// Alternate synchronous and pipelined publishes: both must be
		// durable once acknowledged.
		if i%2 == 0 {
			seq, err := l.Publish(ctx, subj, durablePayload(i), "m"+strconv.Itoa(i))
			if err != nil {
				fmt.Fprintln(os.Stderr, "publish:", err)
				os.Exit(4)
			}
			fmt.Fprintf(out, "ack %d %d\n", seq, i)
		} else {
			batches := make([]Batch, 8)
			for j := range batches {
				batches[j] = Batch{Subject: subj, Data: durablePayload(i + j), MsgID: "m" + strconv.Itoa(i+j)}
			}
			seqs, err := l.PublishAll(ctx, batches)
			if err != nil {
				fmt.Fprintln(os.Stderr, "publish all:", err)
				os.Exit(4)
			}
			for j, seq := range seqs {
				fmt.Fprintf(out, "ack %d %d\n", seq, i+j)
			}
			i += len(batches) - 1
		}
		// Flush every ack as soon as it is known: the parent may only
		// count what it has been told.
		out.Flush()
	}
}

func durablePayload(i int) []byte {
	return fmt.Appendf(nil, "event-batch-%d-%s", i, strings.Repeat("x", (i*37)%4096))
}

// TestDurableAfterSIGKILL publishes from a child process, SIGKILLs it
// mid-stream without any Close, and checks every batch the child saw
// acknowledged is in the reopened log, intact. It runs with the default
// SyncAlways and with a background SyncInterval, which must also survive
// the death of the process (only a power loss may cost it data).
func TestDurableAfterSIGKILL(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a child process")
	}
	for _, sync := range []time.Duration{0, time.Minute} {
		t.Run(fmt.Sprintf("SyncInterval=%v", sync), func(t *testing.T) {
			testDurableAfterSIGKILL(t, sync)
		})
	}
}

func testDurableAfterSIGKILL(t *testing.T, sync time.Duration) {
	dir := t.TempDir()
	cmd := exec.Command(os.Args[0], "-test.run=^TestHelperProcess$", "-test.count=1")
	cmd.Env = append(os.Environ(), helperDirEnv+"="+dir, helperSyncEnv+"="+sync.String())
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}

	const killAfter = 1500
	acked := map[uint64]int{} // seq → payload index
	sc := bufio.NewScanner(stdout)
	killed := false
	timer := time.AfterFunc(60*time.Second, func() { cmd.Process.Kill() })
	defer timer.Stop()
	for sc.Scan() {
		var seq uint64
		var idx int
		if _, err := fmt.Sscanf(sc.Text(), "ack %d %d", &seq, &idx); err != nil {
			t.Fatalf("helper said %q: %v", sc.Text(), err)
		}
		acked[seq] = idx
		if len(acked) == killAfter && !killed {
			if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
				t.Fatal(err)
			}
			killed = true
		}
	}
	err = cmd.Wait()
	if !killed {
		t.Fatalf("helper ended before %d acks (%d seen): %v\n%s", killAfter, len(acked), err, stderr.String())
	}
	if ws, ok := cmd.ProcessState.Sys().(syscall.WaitStatus); !ok || ws.Signal() != syscall.SIGKILL {
		t.Fatalf("helper was not killed by SIGKILL: %v\n%s", err, stderr.String())
	}

	l := openCfg(t, Config{DataDir: dir, Logger: testLogger(t)})
	got := map[uint64]Msg{}
	for _, m := range rangeAll(t, l, zeroTime, zeroTime) {
		got[m.Seq] = m
	}
	for seq, idx := range acked {
		m, ok := got[seq]
		if !ok {
			t.Errorf("acknowledged seq %d (batch %d) is missing after SIGKILL", seq, idx)
			continue
		}
		if want := string(durablePayload(idx)); string(m.Data) != want || m.MsgID != "m"+strconv.Itoa(idx) {
			t.Errorf("seq %d = %q id %s, want %q id m%d", seq, m.Data, m.MsgID, want, idx)
		}
	}
	t.Logf("%d acknowledged before the kill (and during it), %d stored", len(acked), len(got))
	// The log keeps working where the child stopped.
	seq := mustPublish(t, l, mustSubject(t, l, "MOH"), "after crash", "")
	for s := range acked {
		if s >= seq {
			t.Errorf("new publish got seq %d, not after acknowledged seq %d", seq, s)
		}
	}
}
