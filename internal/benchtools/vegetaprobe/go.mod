module github.com/ingot-dev/ingot/internal/benchtools/vegetaprobe

go 1.26.0

require (
	github.com/ingot-dev/ingot v0.0.0
	github.com/tsenart/vegeta/v12 v12.13.0
)

require (
	github.com/influxdata/tdigest v0.0.1 // indirect
	github.com/josharian/intern v1.0.0 // indirect
	github.com/mailru/easyjson v0.7.7 // indirect
	github.com/rs/dnscache v0.0.0-20230804202142-fc85eb664529 // indirect
	golang.org/x/net v0.27.0 // indirect
	golang.org/x/sync v0.24.0 // indirect
	golang.org/x/text v0.42.0 // indirect
)

// The probe signs with this checkout's signature package.
replace github.com/ingot-dev/ingot => ../../..
