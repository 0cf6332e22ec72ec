// Placeholder so the package resolves until the plugin host sources land on their own branch.
// Delete this file when Sources/Host/PluginHost gets real code.
enum PluginHostPlaceholder {}
