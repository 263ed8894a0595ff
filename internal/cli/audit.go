package cli

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/kubu-gov/kubu/internal/app"
	"github.com/kubu-gov/kubu/internal/audit"
	"github.com/kubu-gov/kubu/internal/config"
)

func auditVerify(e *Env, args []string) error {
	var cfg config.Config
	fs := flags(e, "audit verify")
	config.Common(fs, &cfg, e.Getenv)
	cpFile := fs.String("checkpoint", "", "a checkpoint kept elsewhere (from 'kubu audit checkpoint'): also prove the log extends it")
	if err := parse(e, fs, &cfg, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return errUsage
	}
	var note []byte
	if *cpFile != "" {
		b, err := os.ReadFile(*cpFile)
		if err != nil {
			return err
		}
		note = b
	}
	a, err := app.Open(e.Context, &cfg, quiet(e))
	if err != nil {
		return err
	}
	defer a.Close()
	start := time.Now()
	var s audit.Summary
	extends := ""
	if note != nil {
		sum, c, err := a.Audit.VerifyCheckpoint(e.Context, note)
		s = sum
		var cpp *audit.CheckpointProblem
		if errors.As(err, &cpp) {
			return fmt.Errorf("audit log does NOT extend the checkpoint in %s: %w", *cpFile, err)
		}
		if err := auditErr(err); err != nil {
			return err
		}
		extends = fmt.Sprintf("; extends the checkpoint at tree size %d in %s", c.Size, *cpFile)
	} else {
		s, err = a.Audit.Verify(e.Context)
		if err := auditErr(err); err != nil {
			return err
		}
	}
	root := s.RootHash
	if root == "" {
		root = "(empty)"
	}
	fmt.Fprintf(e.Stdout, "audit log intact: %d entries, %d signed checkpoints, root %s%s (%.2fs)\n",
		s.Entries, s.Checkpoints, root, extends, time.Since(start).Seconds())
	return nil
}

func auditErr(err error) error {
	var p *audit.Problem
	if errors.As(err, &p) {
		return fmt.Errorf("audit log NOT intact: first bad entry is %d: %s", p.Seq, p.Reason)
	}
	return err
}

func auditCheckpoint(e *Env, args []string) error {
	var cfg config.Config
	fs := flags(e, "audit checkpoint")
	config.Common(fs, &cfg, e.Getenv)
	out := fs.String("out", "", "write the signed checkpoint to this file instead of standard output")
	publish := fs.String("publish", "", "also POST the signed checkpoint (text/plain) to this URL, e.g. an archive")
	var witnesses urlList
	fs.Var(&witnesses, "witness", "a witness's add-checkpoint URL (C2SP tlog-witness; repeatable): its cosignature is added to the checkpoint, and a witness that saw a longer or other log refuses")
	if err := parse(e, fs, &cfg, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return errUsage
	}
	a, err := app.Open(e.Context, &cfg, quiet(e))
	if err != nil {
		return err
	}
	defer a.Close()
	cp, note, err := a.Audit.SignCheckpoint(e.Context)
	if err := auditErr(err); err != nil {
		return err
	}
	key := a.Audit.VerifierKey()
	for _, u := range witnesses {
		ctx, cancel := context.WithTimeout(e.Context, 30*time.Second)
		cosig, err := a.Audit.Cosign(ctx, &http.Client{Timeout: 30 * time.Second}, u, cp, note)
		cancel()
		if err != nil {
			return err
		}
		note = append(note, cosig...)
	}
	if *out != "" {
		if err := writeFileAtomic(*out, note); err != nil {
			return err
		}
	} else {
		e.Stdout.Write(note)
	}
	if *publish != "" {
		ctx, cancel := context.WithTimeout(e.Context, 30*time.Second)
		err := audit.PostNote(ctx, http.DefaultClient, *publish, note)
		cancel()
		if err != nil {
			return fmt.Errorf("checkpoint signed but not published: %w", err)
		}
	}
	fmt.Fprintf(e.Stderr, "signed checkpoint of %d entries (root %s) with key %s %s; verifier key %s\n",
		cp.TreeSize, cp.RootHash, key.Name, key.Fingerprint(), key.String())
	return nil
}

// writeFileAtomic writes b to path through a temporary file in the same
// directory, so a crash never leaves half a checkpoint.
func writeFileAtomic(path string, b []byte) error {
	f, err := os.CreateTemp(filepath.Dir(path), ".checkpoint-*")
	if err != nil {
		return err
	}
	defer os.Remove(f.Name())
	if _, err := f.Write(b); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	if err := os.Chmod(f.Name(), 0o644); err != nil {
		return err
	}
	return os.Rename(f.Name(), path)
}

// urlList is a repeatable flag.
type urlList []string

func (l *urlList) String() string     { return strings.Join(*l, ",") }
func (l *urlList) Set(v string) error { *l = append(*l, v); return nil }
