// The package manifest names this target before the plugin loader lands; SwiftPM refuses a
// target without sources, so this empty file keeps the package buildable until then.
// Delete it when the loader's sources arrive.
