#include "runtime/main/console_edit.hpp"

#include <histedit.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>

namespace corvus::console {

line_editor::line_editor(const char* program, std::string history_file,
                         completer complete)
  : history_file_(std::move(history_file)), complete_(std::move(complete)) {
  HistEvent event;
  history_ = history_init();
  ::history(history_, &event, H_SETSIZE, 1000);
  ::history(history_, &event, H_SETUNIQUE, 1);
  if (!history_file_.empty())
    ::history(history_, &event, H_LOAD, history_file_.c_str());
  el_ = el_init(program, stdin, stdout, stderr);
  el_set(el_, EL_CLIENTDATA, this);
  el_set(el_, EL_EDITOR, "emacs");
  el_set(el_, EL_HIST, ::history, history_);
  el_set(el_, EL_PROMPT, &line_editor::prompt_of);
  el_set(el_, EL_ADDFN, "corvus-complete", "complete a word",
         &line_editor::on_tab);
  el_set(el_, EL_BIND, "^I", "corvus-complete", nullptr);
  // The operator's own bindings (~/.editrc) come last and win.
  el_source(el_, nullptr);
}

line_editor::~line_editor() {
  el_end(el_);
  history_end(history_);
}

std::optional<std::string> line_editor::read(const std::string& prompt) {
  prompt_ = prompt;
  int count = 0;
  errno = 0;
  const char* line = el_gets(el_, &count);
  if (!line) {
    // A signal (Ctrl-C) interrupts the read: drop the line, prompt again.
    if (count < 0 && errno == EINTR) {
      std::fputs("\n", stdout);
      return std::string{};
    }
    return std::nullopt;
  }
  std::string text{line, static_cast<size_t>(count)};
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r'))
    text.pop_back();
  return text;
}

void line_editor::remember(const std::string& line) {
  HistEvent event;
  ::history(history_, &event, H_ENTER, line.c_str());
  if (!history_file_.empty())
    ::history(history_, &event, H_SAVE, history_file_.c_str());
}

char* line_editor::prompt_of(editline* el) {
  line_editor* self = nullptr;
  el_get(el, EL_CLIENTDATA, &self);
  return self->prompt_.data();
}

unsigned char line_editor::on_tab(editline* el, int) {
  line_editor* self = nullptr;
  el_get(el, EL_CLIENTDATA, &self);
  const LineInfo* info = el_line(el);
  std::string_view before{info->buffer,
                          static_cast<size_t>(info->cursor - info->buffer)};
  auto result = self->complete_(before);
  if (!result.insert.empty()) {
    el_insertstr(el, result.insert.c_str());
    return CC_REFRESH;
  }
  if (result.matches.size() < 2)
    return CC_REFRESH_BEEP;
  // Several candidates and nothing in common to add: list them in columns
  // under the line, then draw the prompt and line again.
  size_t width = 0;
  for (const auto& m : result.matches)
    width = std::max(width, m.size() + 2);
  auto per_line = std::max<size_t>(1, 80 / width);
  std::fputs("\n", stdout);
  for (size_t i = 0; i < result.matches.size(); ++i) {
    const auto& m = result.matches[i];
    if ((i + 1) % per_line == 0 || i + 1 == result.matches.size())
      std::printf("%s\n", m.c_str());
    else
      std::printf("%-*s", static_cast<int>(width), m.c_str());
  }
  std::fflush(stdout);
  return CC_REDISPLAY;
}

} // namespace corvus::console
