package config

import (
	"errors"
	"flag"
)

func httpsFlags(fs *flag.FlagSet, c *Config, env Getenv) {
	fs.StringVar(&c.TLSAddr, "tls-addr", envOr(env, "KUBU_TLS_ADDR", ""), "HTTPS listen address for the web UI, API and intake, with --tls-cert/--tls-key; --addr then redirects browsers to it (env KUBU_TLS_ADDR)")
}

func (c *Config) finishHTTPS() []error {
	if c.TLSAddr != "" && (c.TLSCert == "" || c.TLSKey == "") {
		return []error{errors.New("--tls-addr needs --tls-cert and --tls-key")}
	}
	return nil
}
