// The `ember` command-line program: parses the command line (CLI11) and runs a subcommand.
// Exit codes: 0 success (and --help, --version), 2 a usage error, 1 a failure inside a command.
#include <CLI/CLI.hpp>
#include <exception>
#include <iostream>
#include <string>

#include "tools/commands.h"

int main(int argc, char** argv) {
  CLI::App app{"ember: a deep learning framework in C++20. These commands report on this build.",
               "ember"};
  app.set_version_flag("--version", std::string("ember ") + EMBER_VERSION);
  app.require_subcommand(0, 1);  // none: checked below, so an unknown word reads as such
  ember::tools::add_info_command(app);
  ember::tools::add_ops_command(app);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    // CLI11 prints help/version (exit code 0) or the error with a pointer to --help.
    return app.exit(e) == 0 ? 0 : 2;
  } catch (const std::exception& e) {
    std::cerr << "ember: error: " << e.what() << "\n";
    return 1;
  }
  if (app.get_subcommands().empty()) {
    std::cerr << "A subcommand is required\n" << app.help();
    return 2;
  }
  return 0;
}
