package config

import (
	"errors"
	"flag"
	"fmt"
	"net/url"
	"time"
)

// Audit configures where kubu serve sends each signed audit checkpoint, so
// that a copy is kept outside the installation (issue 11 item 4).
type Audit struct {
	Publish         []string      // URLs that receive each new signed checkpoint by POST (text/plain)
	Witnesses       []string      // C2SP tlog-witness add-checkpoint URLs asked to cosign each new checkpoint
	CheckpointEvery time.Duration // how often a checkpoint is signed when the log grew
}

func auditFlags(fs *flag.FlagSet, c *Audit, env Getenv) {
	c.Publish = splitList(env("KUBU_AUDIT_PUBLISH"))
	fs.Func("audit-publish", "POST each new signed audit checkpoint (text/plain signed note) to this URL, e.g. another agency's archive (repeatable; env KUBU_AUDIT_PUBLISH, comma-separated)", func(s string) error {
		c.Publish = append(c.Publish, s)
		return nil
	})
	c.Witnesses = splitList(env("KUBU_AUDIT_WITNESS"))
	fs.Func("audit-witness", "a witness's add-checkpoint URL (C2SP tlog-witness) asked to cosign each new signed audit checkpoint; a refusal is logged as an error (repeatable; env KUBU_AUDIT_WITNESS, comma-separated)", func(s string) error {
		c.Witnesses = append(c.Witnesses, s)
		return nil
	})
	fs.DurationVar(&c.CheckpointEvery, "audit-checkpoint-every", envDuration(env, "KUBU_AUDIT_CHECKPOINT_EVERY", time.Minute), "sign an audit checkpoint this often when the log grew, and publish it (env KUBU_AUDIT_CHECKPOINT_EVERY)")
}

func (c *Audit) finish() []error {
	var errs []error
	for _, l := range []struct {
		flag string
		urls []string
	}{{"--audit-publish", c.Publish}, {"--audit-witness", c.Witnesses}} {
		for _, s := range l.urls {
			u, err := url.Parse(s)
			if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
				errs = append(errs, fmt.Errorf("%s %q: want an absolute http(s) URL", l.flag, s))
			}
		}
	}
	if c.CheckpointEvery == 0 {
		c.CheckpointEvery = time.Minute
	}
	if c.CheckpointEvery < time.Second || c.CheckpointEvery > 24*time.Hour {
		errs = append(errs, errors.New("--audit-checkpoint-every must be from 1s to 24h"))
	}
	return errs
}
