"""Every kind of problem the flow checks report, at the line an operator must fix."""

from __future__ import annotations

import textwrap

from ccserver.ivr.flow_validate import validate_flows
from ccserver.ivr.flow_yaml import load_flow

PROMPTS = frozenset((language, name) for language in ("en", "es") for name in ("hello", "menu", "bye", "sorry"))


def problems(*texts: str, prompts: frozenset[tuple[str, str]] | None = PROMPTS) -> list[str]:
    """`file:line: message` for flow files f0.yaml, f1.yaml... (line 1 is the text's first line)."""
    loaded = [load_flow(textwrap.dedent(text).lstrip("\n"), f"f{n}.yaml") for n, text in enumerate(texts)]
    found = [p for entry in loaded for p in entry.problems]
    found += validate_flows([entry.flow for entry in loaded if entry.flow is not None], prompts)
    return [str(p) for p in sorted(set(found))]


GOOD = """
    flow: good
    languages: [en, es]
    start: hello
    nodes:
      hello: {type: play, prompt: hello, next: menu}
      menu:
        type: menu
        prompt: menu
        options:
          "1": bye
          "#": {next: hello, set_language: es}
        fallback: bye
      bye: {type: hangup, prompt: bye}
"""


def test_a_good_flow_has_no_problems() -> None:
    assert problems(GOOD) == []


def test_yaml_syntax_errors_are_reported_at_their_line() -> None:
    assert problems("flow: x\nnodes:\n  a: {type: play\n  b: 1\n") == [
        "f0.yaml:4: YAML syntax: expected ',' or '}', but got ':'"
    ]
    assert problems("flow: x\n  bad: indent\n")[0].startswith("f0.yaml:2: YAML syntax:")
    assert problems("") == ["f0.yaml:1: expected a mapping with `flow:`, `start:`, `nodes:`"]
    assert problems("- flow: x\n") == ["f0.yaml:1: expected a mapping with `flow:`, `start:`, `nodes:`"]
    assert problems("flow: x\n---\nflow: y\n") == [
        "f0.yaml:2: YAML syntax: expected a single document in the stream, but found another document"
    ]


def test_unknown_node_references_point_at_the_reference() -> None:
    assert problems("""
        flow: refs
        languages: [en]
        start: nowhere
        nodes:
          menu:
            type: menu
            prompt: menu
            options: {"1": gone}
            fallback: missing
          check: {type: condition, field: language, equals: en, then: menu, else: lost}
    """) == [
        "f0.yaml:3: start: no node 'nowhere'",
        "f0.yaml:8: node 'menu': option 1: no node 'gone'",
        "f0.yaml:9: node 'menu': fallback: no node 'missing'",
        "f0.yaml:10: node 'check': else: no node 'lost'",
    ]


def test_goto_flow_targets_are_checked_across_the_set() -> None:
    other = "flow: other\nlanguages: [en]\nstart: end\nnodes:\n  end: {type: hangup}\n"
    assert problems("""
        flow: main
        languages: [en]
        start: a
        nodes:
          a: {type: condition, field: dialed, in: ["100"], then: b, else: c}
          b: {type: goto_flow, flow: othr}
          c:
            type: goto_flow
            flow: other
            node: middle
    """, other) == [
        "f0.yaml:6: node 'b': goto_flow: no flow 'othr'",
        "f0.yaml:10: node 'c': goto_flow: flow 'other' has no node 'middle'",
    ]


def test_nodes_nothing_leads_to_are_unreachable_but_goto_flow_counts() -> None:
    assert problems("""
        flow: island
        languages: [en]
        start: a
        nodes:
          a: {type: goto_flow, flow: island, node: c}
          b: {type: hangup}
          c: {type: hangup}
    """) == ["f0.yaml:6: node 'b' is never reached (not from start, no goto_flow)"]


def test_a_loop_of_nodes_with_no_way_out_is_refused() -> None:
    assert problems("""
        flow: spin
        languages: [en]
        start: a
        nodes:
          a: {type: set, vars: {x: "1"}, next: b}
          b: {type: condition, field: x, equals: "1", then: c, else: a}
          c: {type: play, prompt: hello, next: a}
    """) == ["f0.yaml:5: loop with no exit: a, b, c never reach a route, callback, voicemail or hangup"]


def test_a_menu_loop_is_fine_when_the_caller_can_leave_and_refused_when_not() -> None:
    trapped = """
        flow: trap
        languages: [en]
        start: menu
        nodes:
          menu: {type: menu, prompt: menu, options: {"1": again}, fallback: again}
          again: {type: play, prompt: sorry, next: menu}
    """
    assert problems(trapped) == [
        "f0.yaml:5: loop with no exit: again, menu never reach a route, callback, voicemail or hangup"
    ]
    without_fallback = trapped.replace(", fallback: again", "")  # retries used up: the human fallback
    assert problems(without_fallback) == []
    with_exit = trapped.replace('{"1": again}', '{"1": again, "0": bye}').rstrip() + "\n          bye: {type: hangup}\n"
    assert problems(with_exit) == []


def test_a_loop_across_flows_with_no_way_out_is_refused_once() -> None:
    assert problems(
        "flow: ping\nlanguages: [en]\nstart: go\nnodes:\n  go: {type: goto_flow, flow: pong}\n",
        "flow: pong\nlanguages: [en]\nstart: go\nnodes:\n  go: {type: goto_flow, flow: ping}\n",
    ) == ["f0.yaml:5: loop with no exit: go, pong:go never reach a route, callback, voicemail or hangup"]


def test_every_prompt_must_exist_in_every_language_of_the_flow_unless_pinned() -> None:
    prompts = PROMPTS | {("en", "english_only")}
    assert problems("""
        flow: speak
        languages: [en, es]
        start: a
        nodes:
          a: {type: play, prompt: english_only, language: en, next: b}
          b: {type: play, prompt: [hello, welcome], next: c}
          c: {type: hangup, prompt: english_only}
    """, prompts=prompts) == [
        "f0.yaml:6: node 'b': prompt 'welcome' missing for en: no ivr_prompts/en/welcome.txt",
        "f0.yaml:6: node 'b': prompt 'welcome' missing for es: no ivr_prompts/es/welcome.txt",
        "f0.yaml:7: node 'c': prompt 'english_only' missing for es: no ivr_prompts/es/english_only.txt",
    ]


def test_duplicate_and_invalid_dtmf_keys_are_refused() -> None:
    assert problems("""
        flow: keys
        languages: [en]
        start: menu
        nodes:
          menu:
            type: menu
            prompt: menu
            options:
              1: bye
              "1": bye
              "10": bye
              a: bye
              "*": bye
          bye: {type: hangup}
    """) == [
        "f0.yaml:10: node 'menu': options: duplicate DTMF key '1' (first at line 9)",
        "f0.yaml:11: node 'menu': options: '10' is not a DTMF key (one of 0-9 * #; quote * and #)",
        "f0.yaml:12: node 'menu': options: 'a' is not a DTMF key (one of 0-9 * #; quote * and #)",
    ]


def test_duplicate_node_ids_and_flow_names_are_refused() -> None:
    flow = "flow: same\nlanguages: [en]\nstart: a\nnodes:\n  a: {type: hangup}\n  a: {type: hangup}\n"
    assert problems(flow, flow.replace("  a: {type: hangup}\n", "", 1)) == [
        "f0.yaml:6: nodes: duplicate node id 'a' (first at line 5)",
        "f1.yaml:1: flow 'same' is also defined in f0.yaml",
    ]


def test_bad_opening_hours_are_refused_with_their_lines() -> None:
    found = problems("""
        flow: hours
        languages: [en]
        start: open
        calendars:
          office:
            timezone: Mars/Olympus_Mons
            weekly:
              mon-fri: "08:00-25:00"
              sat: "14:00-09:00"
              funday: "09:00-10:00"
              sun: ["9-10", "10:00-10:60"]
            holidays: [2025-02-30, 2025/12/25]
        nodes:
          open: {type: condition, business_hours: office, then: bye, else: bye}
          bye: {type: hangup}
    """)
    assert found == [
        "f0.yaml:6: calendars: office: timezone: unknown time zone 'Mars/Olympus_Mons'"
        " (use an IANA name such as America/New_York)",
        "f0.yaml:8: calendars: office: weekly: mon-fri: bad time '25:00': no such time of day",
        "f0.yaml:9: calendars: office: weekly: sat: range '14:00-09:00' ends before it starts",
        "f0.yaml:10: calendars: office: weekly: unknown day 'funday' (days are mon tue wed thu fri sat sun)",
        "f0.yaml:11: calendars: office: weekly: sun: bad time '10:60': no such time of day",
        "f0.yaml:11: calendars: office: weekly: sun: bad time '9' (use HH:MM)",
        "f0.yaml:12: calendars: office: holidays: bad date '2025-02-30': no such day",
        "f0.yaml:12: calendars: office: holidays: bad date '2025/12/25' (use YYYY-MM-DD)",
    ]


def test_inline_opening_hours_and_unknown_calendars() -> None:
    assert problems("""
        flow: hours
        languages: [en]
        start: open
        nodes:
          open:
            type: condition
            business_hours: {timezone: Europe/Madrid, weekly: {mon-sun: "00:00-24:00", xyz: closed}}
            then: lunch
            else: lunch
          lunch: {type: condition, business_hours: lunch, then: bye, else: bye}
          bye: {type: hangup}
    """) == [
        "f0.yaml:7: node 'open': business_hours: weekly: unknown day 'xyz' (days are mon tue wed thu fri sat sun)",
        "f0.yaml:10: node 'lunch': business_hours: no calendar 'lunch' under the flow's `calendars:`",
    ]


def test_wrong_types_missing_fields_and_unknown_node_types() -> None:
    assert problems("""
        flow: types
        languages: [en]
        start: menu
        nodes:
          menu:
            type: menu
            prompt: menu
            options: {"1": ask}
            retries: many
            timeout: 0
            fallbak: bye
          ask:
            type: collect
            prompt: [menu, {nested: map}]
            min_length: 9
            max_length: 4
            terminator: "##"
            validate: crc32
          transfer: {type: transfer, next: bye}
          bye: {type: hangup, prompt: bye}
          jump: {next: bye}
    """) == [
        "f0.yaml:9: node 'menu': retries: expected a whole number, got 'many'",
        "f0.yaml:10: node 'menu': timeout: 0 is outside 0.5-60",
        "f0.yaml:11: node 'menu': unknown field 'fallbak'",
        "f0.yaml:12: node 'ask': missing 'next'",
        "f0.yaml:12: node 'ask': missing 'store'",
        "f0.yaml:14: node 'ask': prompt: expected a name or a list of names",
        "f0.yaml:15: node 'ask': min_length: 9 is more than max_length 4",
        "f0.yaml:17: node 'ask': terminator: '##' is not a DTMF key (quote * and #)",
        "f0.yaml:18: node 'ask': validate: 'crc32' is not one of luhn, mod11",
        "f0.yaml:19: node 'transfer': type: unknown node type 'transfer' (one of callback, collect, condition,"
        " goto_flow, hangup, lookup, menu, play, route, say, set, voicemail)",
        "f0.yaml:21: node 'jump': missing 'type'",
    ]


def test_skill_levels_outside_one_to_ten_and_bad_attributes_are_refused() -> None:
    assert problems("""
        flow: skills
        languages: [en, es]
        start: pick
        nodes:
          pick:
            type: menu
            prompt: menu
            options:
              "1": {next: route, skills: {billing: 11}, set_language: fr}
              "2": {next: route, priority: -1, queue: "two words"}
          route: {type: route, skills: {billing: 0, spanish: 3}}
    """) == [
        "f0.yaml:9: node 'pick': options: 1: set_language: 'fr' is not one of the flow's languages (en, es)",
        "f0.yaml:9: node 'pick': options: 1: skills: billing: 11 is outside 1-10",
        "f0.yaml:10: node 'pick': options: 2: priority: -1 is outside 0-100",
        "f0.yaml:10: node 'pick': options: 2: queue: 'two words' is not a valid name",
        "f0.yaml:11: node 'route': skills: billing: 0 is outside 1-10",
    ]


def test_variables_must_be_set_somewhere_in_the_set_and_templates_well_formed() -> None:
    assert problems("""
        flow: vars
        languages: [en]
        start: ask
        nodes:
          ask: {type: collect, prompt: menu, store: account, max_length: 8, next: find}
          find: {type: lookup, by: account, value: "{acount}", found: say, not_found: say}
          say: {type: say, digits: "{account} {customer.account_number} {caller.e164}", next: check}
          check: {type: condition, field: segment, equals: vip, then: set, else: set}
          set: {type: set, vars: {segment: "{customer.tier}"}, next: bye}
          bye: {type: hangup}
    """) == ["f0.yaml:6: node 'find': 'acount' is never set (no collect stores it, no set names it)"]


def test_reserved_variable_names_and_broken_templates_are_refused() -> None:
    assert problems("""
        flow: vars
        languages: [en]
        start: set
        nodes:
          set: {type: set, vars: {segment: "{oops", language: en}, next: bye}
          bye: {type: say, number: "{a b}", next: set}
    """) == [
        "f0.yaml:5: node 'set': vars: language: 'language' cannot be a variable name"
        " (letters, digits, _; not caller, customer, dialed, language)",
        "f0.yaml:5: node 'set': vars: segment: unbalanced braces in '{oops'",
        "f0.yaml:6: node 'bye': number: bad placeholder '{a b}' (use {name} or {customer.field})",
    ]


def test_the_default_language_must_be_one_the_flow_speaks() -> None:
    assert problems("flow: x\nlanguages: [en]\nlanguage: es\nstart: a\nnodes:\n  a: {type: hangup}\n") == [
        "f0.yaml:3: language: 'es' is not one of the flow's languages (en)"
    ]
