package config

import (
	"slices"
	"strings"
	"testing"
	"time"
)

// TestAuditAndEvidenceFlags: where checkpoints are published, how often
// they are signed, and the evidence size limit, from flags and env, and
// each bad value refused naming its flag.
func TestAuditAndEvidenceFlags(t *testing.T) {
	c, err := parse(t, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Audit.Publish)+len(c.Audit.Witnesses) != 0 || c.Audit.CheckpointEvery != time.Minute || c.EvidenceMaxSize != 0 {
		t.Fatalf("defaults: %+v %d", c.Audit, c.EvidenceMaxSize)
	}
	c, err = parse(t, map[string]string{"KUBU_AUDIT_PUBLISH": "https://archive.mof.example/kubu, https://b.example/x", "KUBU_EVIDENCE_MAX_SIZE": "1000"},
		"--audit-witness", "https://witness.moh.example/add-checkpoint", "--audit-witness", "http://127.0.0.1:9/add-checkpoint",
		"--audit-checkpoint-every", "10s", "--evidence-max-size", "2048")
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(c.Audit.Publish, []string{"https://archive.mof.example/kubu", "https://b.example/x"}) ||
		!slices.Equal(c.Audit.Witnesses, []string{"https://witness.moh.example/add-checkpoint", "http://127.0.0.1:9/add-checkpoint"}) ||
		c.Audit.CheckpointEvery != 10*time.Second || c.EvidenceMaxSize != 2048 {
		t.Fatalf("from env and flags: %+v %d", c.Audit, c.EvidenceMaxSize)
	}
	for _, bad := range []struct {
		args []string
		want string
	}{
		{[]string{"--audit-publish", "archive.example/x"}, "--audit-publish"},
		{[]string{"--audit-witness", "ftp://w.example/add-checkpoint"}, "--audit-witness"},
		{[]string{"--audit-checkpoint-every", "10ms"}, "--audit-checkpoint-every"},
		{[]string{"--evidence-max-size", "-1"}, "--evidence-max-size"},
	} {
		if _, err := parse(t, nil, bad.args...); err == nil || !strings.Contains(err.Error(), bad.want) {
			t.Errorf("%v: %v, want an error naming %s", bad.args, err, bad.want)
		}
	}
}
