package cli

import (
	"encoding/base64"
	"errors"
	"flag"
	"fmt"
	"strings"

	"github.com/kubu-gov/kubu/internal/bundle"
)

// verifyBundle checks a case bundle offline: no data dir, no database.
func verifyBundle(e *Env, args []string) error {
	fs := flags(e, "verify-bundle")
	key := fs.String("key", "", "the fingerprint (SHA256:…) of the key the bundle must be signed with, as the agency published it")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return errUsage
	}
	if fs.NArg() != 1 {
		return fmt.Errorf("%w: give one bundle file", errUsage)
	}
	s, err := bundle.Verify(fs.Arg(0))
	var p *bundle.Problem
	if errors.As(err, &p) {
		return fmt.Errorf("bundle NOT verified: first bad item is %s: %s", p.Item, p.Reason)
	}
	if err != nil {
		return err
	}
	if *key != "" && !strings.EqualFold(*key, s.KeyFingerprint) {
		return fmt.Errorf("bundle NOT verified: it is signed with key %s, not the expected %s", s.KeyFingerprint, *key)
	}
	fmt.Fprintf(e.Stdout, "bundle verified: incident %s %q; %d evidence files (%d bytes), %d custody entries, %d timeline entries, %d audit entries proved included in the signed checkpoint of tree size %d (root %s); signed by key %s\n",
		s.Incident.ID, s.Incident.Title, s.EvidenceFiles, s.EvidenceBytes, s.CustodyEntries, s.TimelineEntries, s.AuditEntries,
		s.TreeSize, base64.StdEncoding.EncodeToString(s.RootHash), s.KeyFingerprint)
	if *key == "" {
		fmt.Fprintln(e.Stderr, "note: compare the key fingerprint with the one the agency publishes (or pass --key) before relying on the bundle")
	}
	return nil
}
