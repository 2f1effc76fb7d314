#pragma once

// corvus-console's line editing on libedit: emacs key bindings, a history
// kept in a file across sessions, and TAB completion through a callback.

#include "runtime/console/command.hpp"

#include <functional>
#include <optional>
#include <string>
#include <string_view>

struct editline;
struct history;

namespace corvus::console {

class line_editor {
public:
  /// Completes the line up to the cursor.
  using completer = std::function<completion(std::string_view)>;

  /// @param program the name libedit reads bindings for in ~/.editrc.
  /// @param history_file where history is loaded from and saved to ("" for
  ///        none).
  line_editor(const char* program, std::string history_file,
              completer complete);

  ~line_editor();

  line_editor(const line_editor&) = delete;
  line_editor& operator=(const line_editor&) = delete;

  /// Reads one line after showing `prompt`.
  /// @returns the line without its newline; "" after Ctrl-C; nullopt at
  ///          the end of input (Ctrl-D on an empty line).
  std::optional<std::string> read(const std::string& prompt);

  /// Adds `line` to the history and saves the history file.
  void remember(const std::string& line);

private:
  /// libedit's prompt callback: the prompt of the current read.
  static char* prompt_of(editline* el);

  /// libedit's TAB binding: inserts what the completer found, or lists
  /// the candidates when they share nothing more.
  static unsigned char on_tab(editline* el, int ch);

  editline* el_ = nullptr;
  history* history_ = nullptr;
  std::string history_file_;
  completer complete_;
  std::string prompt_;
};

} // namespace corvus::console
