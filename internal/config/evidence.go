package config

import (
	"errors"
	"flag"
)

func evidenceFlags(fs *flag.FlagSet, c *Config, env Getenv) {
	fs.Int64Var(&c.EvidenceMaxSize, "evidence-max-size", envInt(env, "KUBU_EVIDENCE_MAX_SIZE", 0), "largest evidence file in bytes; 0 means no limit (env KUBU_EVIDENCE_MAX_SIZE)")
}

func (c *Config) finishEvidence() []error {
	if c.EvidenceMaxSize < 0 {
		return []error{errors.New("--evidence-max-size must not be negative (0 means no limit)")}
	}
	return nil
}
