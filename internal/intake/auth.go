package intake

import (
	"encoding/base64"
	"net/http"
	"strings"

	"github.com/kubu-gov/kubu/internal/intake/hec"
	"github.com/kubu-gov/kubu/internal/ratelimit"
)

// protocolOf tells which protocol an intake path speaks.
func protocolOf(path string) string {
	switch {
	case strings.HasPrefix(path, "/services/collector"):
		return ProtoHEC
	case strings.HasSuffix(path, "/_bulk"):
		return ProtoBulk
	default:
		return ProtoOTLP
	}
}

// credential extracts the intake token as each protocol's shippers send
// it. malformed reports an Authorization header that is there but not in
// a shape the protocol knows.
func credential(r *http.Request, protocol string) (secret string, malformed bool) {
	h := strings.TrimSpace(r.Header.Get("Authorization"))
	if h == "" {
		return "", false
	}
	scheme, rest, _ := strings.Cut(h, " ")
	rest = strings.TrimSpace(rest)
	switch strings.ToLower(scheme) {
	case "splunk":
		if protocol == ProtoHEC {
			return rest, rest == ""
		}
	case "bearer":
		return rest, rest == ""
	case "basic":
		if protocol == ProtoOTLP {
			break
		}
		// The token is the password (Splunk: curl -u x:TOKEN; Elastic
		// shippers: password).
		if _, pw, ok := r.BasicAuth(); ok && pw != "" {
			return pw, false
		}
		return "", true
	case "apikey":
		if protocol != ProtoBulk {
			break
		}
		// Elasticsearch API keys are base64("id:key"); Beats and Logstash
		// send them so. Accept that with the token as the key, or the
		// token itself.
		if raw, err := base64.StdEncoding.DecodeString(rest); err == nil {
			if _, key, ok := strings.Cut(string(raw), ":"); ok && strings.HasPrefix(key, TokenPrefix) {
				return key, false
			}
			if strings.HasPrefix(string(raw), TokenPrefix) {
				return string(raw), false
			}
		}
		return rest, rest == ""
	}
	return "", true
}

// Authenticate is the web.IntakeAuthFunc: it checks the request's intake
// token as its protocol sends it, applies the token's rate limit, and
// answers refusals in the protocol's own words. It returns the token's
// agency id.
func (s *Service) Authenticate(w http.ResponseWriter, r *http.Request) (string, bool) {
	return s.authenticate(w, r, protocolOf(r.URL.Path))
}

func (s *Service) authenticate(w http.ResponseWriter, r *http.Request, protocol string) (string, bool) {
	idn, ok := s.identify(w, r, protocol)
	if !ok {
		return "", false
	}
	if ok, wait := s.limit.Allow(idn.TokenID); !ok {
		w.Header().Set("Retry-After", ratelimit.RetryAfter(wait))
		refuse(w, r, protocol, http.StatusTooManyRequests, "too many requests for this intake token; retry later")
		return "", false
	}
	if s.draining.Load() {
		w.Header().Set("Retry-After", "5")
		refuse(w, r, protocol, http.StatusServiceUnavailable, "kubu is shutting down; retry later")
		return "", false
	}
	if s.refuseBusy(w, r, protocol) {
		return "", false
	}
	return idn.AgencyID, true
}

// identify resolves the request's token, answering 401/403 when it has
// none or a bad one.
func (s *Service) identify(w http.ResponseWriter, r *http.Request, protocol string) (identity, bool) {
	secret, malformed := credential(r, protocol)
	if secret == "" && !malformed && protocol == ProtoHEC && r.URL.Query().Get("token") != "" {
		writeHEC(w, hec.NewResponse(hec.CodeQueryStringAuthOff))
		return identity{}, false
	}
	if secret == "" {
		switch protocol {
		case ProtoHEC:
			code := hec.CodeTokenRequired
			if malformed {
				code = hec.CodeInvalidAuthorization
			}
			writeHEC(w, hec.NewResponse(code))
		default:
			refuse(w, r, protocol, http.StatusUnauthorized, "missing authentication credentials")
		}
		return identity{}, false
	}
	idn, ok, err := s.lookup(r.Context(), secret)
	if err != nil {
		s.log.Error("intake: token lookup", "err", err)
		refuse(w, r, protocol, http.StatusServiceUnavailable, "cannot check the token now; retry later")
		return identity{}, false
	}
	if !ok {
		if protocol == ProtoHEC {
			writeHEC(w, hec.NewResponse(hec.CodeInvalidToken))
		} else {
			refuse(w, r, protocol, http.StatusUnauthorized, "unable to authenticate with the provided credentials")
		}
		return identity{}, false
	}
	return idn, true
}

// refuse answers a whole request with status in the protocol's error shape.
func refuse(w http.ResponseWriter, r *http.Request, protocol string, status int, reason string) {
	switch protocol {
	case ProtoHEC:
		code := hec.CodeServerBusy
		switch status {
		case http.StatusUnauthorized:
			code = hec.CodeTokenRequired
		case http.StatusBadRequest:
			code = hec.CodeInvalidDataFormat
		case http.StatusRequestEntityTooLarge:
			writeJSON(w, status, map[string]any{"text": "Content-Length is too large", "code": hec.CodeInvalidDataFormat})
			return
		case http.StatusInternalServerError:
			code = hec.CodeInternalError
		}
		resp := hec.NewResponse(code)
		writeJSON(w, status, resp)
	case ProtoBulk:
		bulkError(w, status, reason)
	default:
		otlpError(w, r, status, reason)
	}
}
