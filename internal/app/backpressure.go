package app

import (
	"github.com/kubu-gov/kubu/internal/config"
	"github.com/kubu-gov/kubu/internal/detect"
	"github.com/kubu-gov/kubu/internal/intake"
)

// intakeLagBound is the back-pressure bound of --intake-max-lag and
// --intake-max-lag-events on detection's consumer.
func intakeLagBound(cfg *config.Config) intake.LagBound {
	return intake.LagBound{MaxLag: cfg.IntakeMaxLag, MaxEvents: cfg.IntakeLagEvents, Durable: detect.DetectDurable}
}
