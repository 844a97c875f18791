"""The offline judge's word knowledge: morphology, domain terms and the direction lexicon.

It is general knowledge of how the benchmark's five domains describe motion: the domain
terms annotators read by meaning (docs/judging.md), and the scales that differences are
stated on. It was written from the dev half of the gold set and the extra development set
(gold/dev_extra_v1.json), never from the test half.

Direction is read on SCALES: each scale has two ends, each end a list of base words, and
every inflected form of a base word ("high", "higher", "highest", "highly"; "lift",
"lifts", "lifted", "lifting") and, for the words in NEGATABLE, its negative prefix form
("unstable", "uneven", "inconsistent") is generated and placed on the scale. Besides the
adjectives of a scale, a scale has

- nouns that name it ("height", "speed", "splash"): more of the noun is the + end, and
  size words ("a greater height", "the speed is lower") only say how much of it;
- places at its two ends (LOCATIONS: fingertips / palm, bridge / fingerboard): "closer to
  the bridge" is the bridge end, "further from the bridge" the other one;
- rewrites of set phrases and domain terms (REWRITES), applied first, so that "a rip entry"
  reads as "less splash" and "takes more time" as "slower".

Each scale belongs to a family of scales whose ends correspond (FAMILY): straighter goes
with higher, a tighter tuck with closer; two statements worded on different scales of one
family can still be compared, with less confidence than on the same scale. The scales
"amount", "size" and "count" only say how much and are compared last.
"""

from __future__ import annotations

import re

# --- morphology -------------------------------------------------------------------------

IRREGULAR = {
    "feet": "foot", "teeth": "tooth", "bent": "bend", "held": "hold", "kept": "keep",
    "further": "far", "farther": "far", "furthest": "far", "farthest": "far",
    "better": "good", "best": "good", "worse": "bad", "worst": "bad", "thrown": "throw",
    "threw": "throw", "drawn": "draw", "driven": "drive", "drove": "drive", "struck": "strike",
    "taken": "take", "took": "take", "fell": "fall", "fallen": "fall", "sat": "sit",
    "stood": "stand", "laid": "lay", "made": "make", "went": "go", "goes": "go", "gone": "go",
    "does": "do", "done": "do", "less": "less", "lesser": "less", "least": "less",
    "more": "more", "most": "more", "fewer": "few", "fewest": "few", "lower": "low",
    "lowest": "low", "lowered": "low", "lowering": "low", "lowers": "low", "upper": "up",
    "spun": "spin", "swung": "swing", "hung": "hang", "lost": "lose", "loses": "lose",
    "losing": "lose", "lose": "lose", "left": "left", "fed": "feed", "led": "lead",
    "slid": "slide", "wound": "wound", "rose": "rise", "risen": "rise", "sank": "sink",
    "sunk": "sink", "shook": "shake", "shaken": "shake", "caught": "catch", "brought": "bring",
    "sought": "seek", "ground": "ground", "men": "man", "women": "woman", "knives": "knife",
    "lives": "life", "halves": "half", "wider": "wide", "widest": "wide", "closed": "close",
    "closing": "close", "this": "this", "its": "it", "is": "is", "was": "is", "has": "have",
    "his": "his", "always": "always", "as": "as", "across": "across", "bias": "bias",
    "pass": "pas", "news": "news", "series": "series", "apparatus": "apparatus",
    "process": "proces", "tense": "tense", "tensed": "tense", "loose": "loose",
    "loosely": "loose", "looser": "loose", "loosest": "loose", "straighter": "straight",
}

# adjectives whose -er/-est/-ly forms the stemmer folds onto them
ADJECTIVES = (
    "high low deep shallow wide narrow close near far fast slow quick long short big large "
    "small great tight loose straight flat steep early late soon hard soft heavy light firm "
    "strong weak loud quiet clean steady stable smooth tall broad thin thick tense calm even "
    "rough sharp stiff full round slack gentle brisk fine few neat tidy rapid swift direct "
    "accurate precise wobbly shaky upright vertical level square quick easy compact open "
    "frequent sudden explosive powerful forceful relaxed controlled balanced consistent "
    "still erect taut snug rigid limp floppy jerky choppy fluid tiny huge slight sluggish"
).split()


def _adjective_forms() -> dict[str, str]:
    forms: dict[str, str] = {}
    for a in ADJECTIVES:
        cands = {a + "er", a + "est", a + "ly", a + "r", a + "st"}
        if a.endswith("e"):
            cands |= {a + "r", a + "st", a[:-1] + "y" if a.endswith("le") else a + "ly"}
        if a.endswith("y"):
            cands |= {a[:-1] + "ier", a[:-1] + "iest", a[:-1] + "ily"}
        if re.fullmatch(r".*[^aeiou][aeiou][bdgmnpt]", a):
            cands |= {a + a[-1] + "er", a + a[-1] + "est"}
        for c in cands:
            forms.setdefault(c, a)
        forms[a] = a
    forms.pop("lat", None)
    return forms


_FORMS = _adjective_forms()
_KEEP = {"apart", "across", "less", "press", "pass", "stress", "class", "glass", "this", "thus",
         "plus", "focus", "bus", "ankles", "series", "always", "perhaps", "axis", "basis",
         "chassis", "canvas", "bias", "yes", "us", "gas", "various", "previous"}


def stem(word: str) -> str:
    """A small, consistent stemmer: the same stem for the forms a statement uses."""
    w = word.lower()
    if w in IRREGULAR:
        return IRREGULAR[w]
    if w in _FORMS:
        return _FORMS[w]
    if w in _KEEP or len(w) <= 3:
        return w
    base = w
    if w.endswith("ies") and len(w) > 4:
        base = w[:-3] + "y"
    elif w.endswith("ied") and len(w) > 4:
        base = w[:-3] + "y"
    elif w.endswith("ing") and len(w) > 5:
        base = w[:-3]
    elif w.endswith("ed") and len(w) > 4:
        base = w[:-2]
    elif w.endswith(("ches", "shes", "sses", "xes", "zes")):
        base = w[:-2]
    elif w.endswith("s") and not w.endswith(("ss", "us", "is")):
        base = w[:-1]
    if base in _FORMS:
        return _FORMS[base]
    if len(base) >= 4 and base[-1] == base[-2] and base[-1] not in "aeiouls":
        base = base[:-1]
    if len(base) >= 4 and base.endswith("e"):
        base = base[:-1]
    return _FORMS.get(base, base)


def inflections(word: str) -> set[str]:
    """The inflected forms of a base word (verb, adjective or noun), real or not: only the
    ones a statement uses are ever looked up."""
    w = word
    out = {w, w + "s", w + "es", w + "ed", w + "ing", w + "er", w + "est", w + "ly",
           w + "ness"}
    if w.endswith("e"):
        out |= {w + "d", w + "r", w + "st", w[:-1] + "ing", w[:-1] + "y" if w.endswith("le")
                else w + "ly", w[:-1] + "ily"}
    if w.endswith("y") and len(w) > 2 and w[-2] not in "aeiou":
        out |= {w[:-1] + s for s in ("ies", "ied", "ier", "iest", "ily", "iness")}
    if w.endswith("ic"):
        out.add(w + "ally")
    if not w.endswith(("e", "y", "en")):  # straighten, tighten, lengthen, flatten
        stems = [w + w[-1]] if re.fullmatch(r".*[^aeiou][aeiou][bdgmnpt]", w) else [w]
        out |= {x + s for x in stems for s in ("en", "ens", "ened", "ening")}
    elif w.endswith("e"):  # widen
        out |= {w + s for s in ("n", "ns", "ned", "ning")}
    if re.fullmatch(r".*[^aeiou][aeiou][bdgmnpt]", w) and len(w) <= 5:
        out |= {w + w[-1] + s for s in ("ed", "ing", "er", "est")}
    return out


# --- words that carry no property -----------------------------------------------------

STOP = set(
    "the a an is are was were be been being of in on at to with during and or than that "
    "this it its as by for from while when into onto over through each every their his her "
    "both either there which who whom whose what so very much quite rather also "
    "just any some all has have had do does did get gets got can could would should "
    "will may might them they he she we you i my our your itself themselves up-to about "
    "then overall whole slightly somewhat noticeably clearly visibly a-bit".split()
)
# the performer and the action itself: they tell no property apart
GENERIC = set(
    "player athlete diver lifter pianist violinist guitarist cellist drummer surgeon person "
    "performer shooter kicker passer musician operator subject video rep reps repetition "
    "repetitions movement motion action exercise performance playing piece dive dives shot "
    "shots kick skill attempt task trial time way".split()
)
# judgements of quality: a statement made only of these names no visual property
QUALITY = set(
    "good bad well clean elegant graceful grace polish polished precise precision musical "
    "musicality efficient efficiency control controlled expressive expression expressively "
    "feeling feel emotion emotional confidence confident fluid fluent fluency natural "
    "professional skilled skillful skilful smooth smoothly technique technical form execution "
    "quality secure security nice correct correctly proper properly poise poised composed "
    "aesthetic beautiful impressive clear clearly sloppy messy awkward athletic coordinated "
    "coordination mastery assured intense intensity energetic aggressive lively "
    "careful carefully deliberate neat neatly tidy clumsy crisp solid refined "
    "economical agile agility dangerous deceptive nervous comfortable experienced rich richer "
    "warm warmer full fuller difficult strict stricter engaged better worse "
    "tone sound groove feel".split()
)
# statements that name a property but no direction
NO_DIRECTION = set("differ differs different differently change changes changed vary varies "
                   "varied distinct".split())
NEGATIONS = {"not", "no", "never", "without", "n't", "nor", "cannot", "neither", "barely",
             "hardly", "scarcely", "shortof"}
# words (by stem) that reverse what follows or what the statement asserts, besides negations
REVERSERS = {"less", "few", "fail", "lack"}
# words that make the next direction word a comparison ("more bent", "further forward")
INTENSIFIERS = {"more", "less", "few", "far", "much", "even", "increasingly"}
COPULAS = {"look", "seem", "appear", "stay", "remain", "keep", "become", "get", "sit"}

# --- paraphrases and jargon: surface rewrites applied before anything else ---------------
# (regex on the lowercased statement, replacement). They spell set phrases and domain terms
# out in plain words, so that the property and its direction read as an annotator's would.

REWRITES: list[tuple[str, str]] = [
    # general English
    (r"\bn't\b", " not"), (r"\bcan not\b", "cannot"), (r"\s+", " "), (r"’", "'"),
    (r"\b(\w+)-(\w+)\b", r"\1 \2"),
    (r"\b(pull|push|sit|chin|warm|lay|press|pick) ups?\b", r"\1up"),
    (r"\bcompared (to|with) [^,]*", ""),
    (r"\b(in )?video [ab]\b", ""), (r"\bthe (first|second) (video|person|clip)\b", ""),
    (r"\b(rather than|instead of|as opposed to)\b.*$", ""),
    (r"\bnot (as|so) (\w+)( as)?\b", r"not \2"),
    (r"\bnot (\w+) (as|so) (\w+)( as)?\b", r"not \1 \3"),
    (r"\bno longer\b", "not"), (r"\bhardly any\b", "barely"), (r"\balmost no\b", "barely"),
    (r"\bshort of\b", "shortof"),
    (r"\b(away|off) from (vertical|straight|upright|parallel|perpendicular|level)\b",
     r"not \2"), (r"\bin front of\b", "ahead of"),
    (r"\bless often\b", "less frequent"), (r"\bmore often\b", "more frequent"),
    (r"\bmore times\b", "more frequent"), (r"\bfewer times\b", "less frequent"),
    (r"\bone at a time\b", "separately in several steps"),
    (r"\b(at the same time|all at once|at once|simultaneously)\b", "together in one motion"),
    (r"\b(takes?|taking|spends?|spent|spending|needs?) (a )?(longer|more time|more "
     r"seconds)\b", "is slower"),
    (r"\b(less|shorter) time (is )?(spent|taken|needed|used)\b", "faster"),
    (r"\b(more|longer) time (is )?(spent|taken|needed|used)\b", "slower"),
    (r"\b(in|with) (less|shorter) time\b", "faster"),
    (r"\b(in|with) (more|longer) time\b", "slower"),
    (r"\bfor (more|longer) (time|seconds)\b", "longer"),
    (r"\bfor (fewer|less) (time|seconds)\b", "shorter"),
    (r"\b(takes?|taking|spends?|spent|spending|needs?) (a )?(shorter|less) time\b",
     "is faster"),


    (r"\bcovers? more ground\b", "is longer"), (r"\bcovers? less ground\b", "is shorter"),
    (r"\b(gets|has|with) more air\b", "jumps higher"), (r"\bmore air\b", "higher"),
    (r"\bstraight up and down\b", "vertical"),
    (r"\b(closer|nearer) to (perpendicular|vertical|90 degrees|ninety degrees|"
     r"a right angle|horizontal|parallel|straight|upright|flat|level)\b", r"more \2"),
    (r"\b(90|ninety) degrees?\b", "perpendicular"), (r"\bright angle\b", "perpendicular"),
    (r"\b(at|on|from) (an|a sharper|a bigger|a wider|more of an?) (angle|slant)\b", "slanted"),
    (r"\b(at|on) a (steeper|more vertical) angle\b", "more steeply"),
    (r"\b(looks?|looking|eyes|eye|gaze|gazes|watch\w*)( stays?| are| is| kept| stay)? "
     r"(at|on)? ?the (ball|hands|keys|feet|fingers|fretboard|fingerboard|floor|ground)\b",
     r"looks down at the \4"),
    (r"\b(looks?|looking|eyes|eye|gaze|gazes|watch\w*)( stays?| are| is| kept| stay)?( up)? "
     r"(at|on) the (goalkeeper|defender|basket|target|goal|hoop|rim|opponent|score)\b",
     r"looks up at the \5"),
    (r"\b(begins?|starts?|comes? in|kicks? in) (right )?(at|from) the (start|beginning|"
     r"onset)\b", r"\1 early"),
    (r"\b(further|farther) back from\b", "further from"),
    (r"\bchin (is |gets |stays |kept )?(more )?tucked\b", r"chin \1\2tucked down"),
    (r"\b(looks?|looking|eyes|gaze) (stays? |are |is )?(more )?(ahead|forward|up)\b",
     r"head up looking up \3"),
    (r"\b(lean|leans|leaning|leaned|sit|sits|sitting|sat|pull|pulls|pulled|thrown|throw|"
     r"throws|tilt|tilts|tilted|fall|falls|fell|step|steps|stepped|move|moves|moved|drift|"
     r"drifts|rock|rocks|shift|shifts|shifted|stay|stays|weight|swing|swings|swung|taken|"
     r"further|farther|more|bent|bend|bends|bending|cocked|cocks|wind|winds) back\b",
     r"\1 backward"),
    (r"\b(head|neck|chin) (is |gets |goes |stays )?(thrown |pulled |tilted |snapped |cocked )?"
     r"(more )?backward\b", r"\1 \2\3\4bent backward"),
    (r"\b(toes|feet|foot|ankles?) (are |is |stay |stays |kept |remain )?(more )?pointed\b",
     r"\1 \2\3extended pointed"),
    (r"\bin line with\b", "straight in line with"),
    (r"\bmore of a slant\b", "more slanted"),
    (r"\b(out of|leaves?|leaving|left|leave the|disappears? from|drops? out of) "
     r"(the )?(camera'?s? )?(field of view|view|frame|sight)\b", "hidden out of view"),
    (r"\b(field of view|camera view|camera's view)\b", "view"),
    (r"\b(in|within) (the )?(camera'?s? )?view\b", "visible"),
    (r"\bdisappears?\b", "hidden"),
    (r"\blos(e|es|ing) (his |her |their |the )?balance\b", "unbalanced"),
    (r"\b(off|out of) balance\b", "unbalanced"),
    (r"\b(closer|nearer|close|near) to (being )?(the )?(target|mark|center|centre|"
     r"middle of the target|line|planned point)\b", "more accurate on target"),
    (r"\b(further |farther )?off (the )?([a-z']+ )?(center|centre|target|mark)\b",
     "misses the target"),
    (r"\b(aimed|aims|aim) (more |directly |right )?(at|toward|towards) "
     r"(the )?([a-z']+ )?(center|centre|middle|target|mark)\b", "more accurate on target"),
    (r"\bon the first (try|attempt|pass)\b", "accurately"),
    (r"\b(on|onto) (to )?the (toes|balls of the feet)\b", "onto the toes higher"),
    (r"\bon target\b", "accurate"),
    (r"(?<!pick )\b(bounce|bounces|bouncing|bob|bobs|bobbing|moves?|moving) up and down\b",
     "bob unsteady"),
    (r"\bfront (knee|leg|foot|heel|shin|hand|arm|foot)\b", r"lead \1"),
    (r"\b(flat footed|heels? (stay |stays |remain |remains |are |is |kept )?(down|planted|"
     r"flat|on the (floor|ground)))\b", "heels planted lower"),
    (r"\b(on|along|close to) the (ground|floor)\b", r"lower \1 the \2"),
    (r"\b(closer|nearer) to the (ground|floor)\b", r"lower nearer the \2"),
    (r"\b(further|farther) from the (ground|floor)\b", r"higher above the \2"),
    (r"\boff the (ground|floor)\b", r"higher off the \1"),
    (r"\b(kept|held|stay|stays|staying|pulled|pulls|tucked|tucks|pointed|points|point|"
     r"turned|turns|turn|caved|caves|cave) in\b(?! (the|a|an|his|her|their|front|line|"
     r"place|view|time|one|two|order|sync))", r"\1 inward"),
    (r"\b(flare|flares|flared|flaring|turn|turns|turned|point|points|pointed|stick|sticks|"
     r"sticking|splay|splays|splayed|pushed|push|pushes|kept|held) out\b(?! of)",
     r"\1 outward"),
    (r"\b(the|his|her|their) back\b(?! (knee|leg|foot|heel|of))", r"\1 torso"),
    (r"\b(lower|upper) (back|torso|spine|body|arm|arms|leg|legs|abdomen)\b", r"\1part \2"),
    (r"\bback (knee|leg|foot|heel)", r"trailing \1"),
    (r"\brear (knee|leg|foot|heel)", r"trailing \1"),
    (r"\bupper body\b", "torso"), (r"\btrunk\b", "torso"), (r"\bspine\b", "torso"),
    (r"\bmidsection\b", "hips torso"), (r"\bposture\b", "torso upright"),
    (r"\bslouch\w*\b", "torso hunched forward"),
    (r"\bchest (up|is kept up|stays up|held up)\b", "torso upright"),
    (r"\bchest is kept up\b", "torso upright"),
    (r"\b(range of motion|rom)\b", "depth"), (r"\ball the way down\b", "deeper to the floor"),
    (r"\ball the way to the (ground|floor)\b", "deeper to the floor"),
    (r"\bbelow parallel\b", "deeper with the hips below the knees"),
    (r"\b(reach(es|ing)?|to|at|above|past|break(s|ing)?) parallel\b", r"\1 thighs level"),
    # fitness
    (r"\b(eccentric|negative)( phase)?\b", "lowering phase"),
    (r"\bconcentric( phase)?\b", "lifting phase"),
    (r"\bcountermovement\b", "dip before the jump"),
    (r"\block ?out\b", "top lockout"), (r"\bset ?up\b", "start"),
    (r"\bstarting position\b", "start"), (r"\binitial position\b", "start"),
    (r"\bvalgus\b", "knees cave inward"), (r"\bcollapse\b", "cave"),
    (r"\bstance\b", "stance feet"), (r"\bstride\b", "step stride"),
    (r"\bhip hinge\b", "hips bend forward"),
    (r"\b(rounded|rounds|rounding|round) (the )?(back|torso|spine)\b", "torso bends round"),
    (r"\bgrip width\b", "hands apart on the bar"), (r"\bgrip is (wider|narrower)\b",
                                                    r"hands are \1 apart on the bar"),
    (r"\bpartial (reps|repetitions|range)\b", "shallower reps"),
    (r"\bfull (reps|repetitions|range)\b", "deeper reps"),
    (r"\bsag(s|ging|ged)?\b", "drop lower"),
    (r"\bkip(s|ping|ped)?\b", "swing of the legs"),
    (r"\bhip drive\b", "hips snap forward with force"),
    (r"\blow ?bar\b", "bar lower on the back"), (r"\bhigh ?bar\b", "bar higher on the back"),
    (r"\bturnover\b", "elbows turn over"), (r"\bthe catch\b", "the catch receive"),
    (r"\b(pronat|supinat)\w*\b", "rotate wrist"),
    (r"\b(wasted|unnecessary|extra|excess) (motion|movement|movements)\b", "hands move more"),
    # ball sports
    (r"\b(off|guide|non shooting|support|supporting|free) (hand|arm)\b", r"guide \2"),
    (r"\b(standing|supporting|support|plant|planted|non kicking) (foot|leg)\b", "plant foot"),
    (r"\bleg drive\b", "knee bend leg drive"), (r"\bset point\b", "ball held high set point"),
    (r"\bstutter step\b", "pause stutter"), (r"\bhesitat\w*\b", "pause"),
    (r"\b(hoop|rim)\b", "basket"), (r"\bglass\b", "backboard"),
    (r"\b(goalie|keeper)\b", "goalkeeper"),
    (r"\bfollow ?through\b", "follow-through finish"),
    (r"\bbackspin\b", "spin"), (r"\bloft\b", "arc height"),
    (r"\bfade ?away\b|\bfades? (back|backward|backwards)\b", "leans back away"),
    (r"\bhead (stays |is |kept )?up\b", "head up looking up"),
    (r"\beyes on\b", "looks at"), (r"\bwatch(es|ing)?\b", "looks at"),
    (r"\bflick(s|ed|ing)?\b", "snaps"), (r"\bhit along\b", "lower along"),
    (r"\bthumb(s|ed|ing)? the ball\b", "guide hand pushes the ball sideways"),
    (r"\b(ball )?pace\b(?= on| of the (ball|cross|pass))", "ball speed"),
    (r"\bsquared? up\b", "square to the basket"),
    (r"\bcrossovers?\b", "crossover dribble switching the ball between hands"),
    (r"\b(the )?(inside|side) of the foot\b|\bside ?foot\b|\binside foot\b", "footinside"),
    (r"\b(the )?outside of the foot\b|\boutside foot\b", "footoutside"),
    (r"\b(off|from|on|with) (one|a single) (foot|leg)\b", "onefoot"),
    (r"\b(off|from|on|with) (two|both) (feet|legs)\b", "twofeet"),
    (r"\b(comes?|coming|driven|generated|initiated|made|produced) (mostly |mainly |more )?"
     r"(from|with) the (whole )?(wrist|elbow|forearm|arm|shoulder|fingers)\b",
     r"from source\5"),
    (r"\b(the )?(laces|instep|top of the foot)\b", "footlaces"),
    (r"\bwhip(s|ped)? in\b", "sends in fast"),
    # diving
    (r"\brip(s|ped)?( the)?( entry)?\b", "entry with less splash"),
    (r"\brip like\b", "less splash"),
    (r"\b(the )?entry is (much )?(cleaner|smaller)\b", "the entry has less splash"),
    (r"\b(cleaner|smaller) entry\b", "entry with less splash"),
    (r"\b(throws?|sprays?|kicks?) up (more|less) water\b", r"\2 splash"),
    (r"\bthe come ?out\b", "the kick out of the pike"),
    (r"\bsomersaults\b", "rotations"), (r"\bsomersault\b", "rotation"),
    (r"\brevolutions\b", "rotations"), (r"\brevolution\b", "rotation"),
    (r"\bflips\b", "rotations"), (r"\bflip\b", "rotation"), (r"\barmstand\b", "handstand"),
    (r"\bover ?rotat\w*\b", "overrotated"), (r"\bunder ?rotat\w*\b", "underrotated"),
    (r"\b(not|never) (get|gets|go|goes|come|comes) all the way (around|over)\b",
     "underrotated"),
    (r"\bspot(s|ted|ting)? (the )?(water|entry|landing|target)\b", r"sees the \3"),
    (r"\bspringboard|\bboard\b", "platform"),
    (r"\b(hurdle step)\b", "hurdle"), (r"\brun ?up\b", "approach run"),
    (r"\blayout\b", "straight position"), (r"\bperpendicular to the water\b", "vertical"),
    (r"\bballed up\b", "tucked"),
    # music
    (r"\blegato\b", "connected notes legato"), (r"\bstaccato\b", "separated notes staccato"),
    (r"\bdetach[ée]?\b", "separated"),
    (r"\bcontrast between loud and soft\b", "dynamics"),
    (r"\b(dynamic range|volume contrast|loud and soft)\b", "dynamics"),
    (r"\bmelody stands out\b", "right hand melody plays louder"),
    (r"\b(brought|brings|bring) out\b", "louder"),
    (r"\bstands? out\b", "louder"),
    (r"\btransitions? between chords\b", "chord changes"), (r"\bchord transitions?\b",
                                                           "chord changes"),
    (r"\brubato\b", "tempo fluctuation"),
    (r"\bheadstock\b", "neck end headstock"), (r"\bscroll\b", "neck end violin scroll"),
    (r"\b(sound|contact) point\b", "bow contact point"), (r"\bkeyboard\b", "piano keys"),
    (r"\bbench\b", "bench sits"), (r"\bsustain\b", ""),
    (r"\b(fret|fretting) hand\b", "fretting hand"),
    (r"\b(picking|strumming|plucking) hand\b", "picking hand"),
    (r"\bfingertips?\b", "finger tips"), (r"\bfull length of the bow\b", "more of the bow"),
    (r"\bspiccato\b", "bouncing bow separated notes"),
    (r"\b(fretboard|fingerboard)\b", "fingerboard"), (r"\bbow (hold|grip)\b", "bow hand grip"),
    (r"\bbow speed\b", "bowing speed"), (r"\bbow weight\b", "bow pressure"),
    (r"\bpalm mut\w*\b", "palm rests on strings"),
    (r"\barm weight\b", "arm weight force"),
    (r"\balternat\w* (picking|strokes|strumming)\b|\bup and down strokes\b|"
     r"\bpick (moves |goes )?up and down\b", "pickalternate"),
    (r"\b(only |all )?down ?strokes?\b", "pickdown"),
    (r"\btraditional grip\b", "griptraditional"), (r"\bmatched grip\b", "gripmatched"),
    (r"\b(closer|nearer)( to)? the fingerboard\b", "further from the bridge"),
    # surgery
    (r"\beconomy of motion\b", "hands move less"),
    (r"\bsurgeon'?s knot\b", "double wrap first throw"),
    (r"\bhand ?off\b", "hand over"), (r"\bhanded over\b", "hand over"),
    (r"\bre ?grasp\w*\b", "regrasp"),
    (r"\b(short|free) (tail|end)( of the (thread|suture))?\b", "strandtail"),
    (r"\b(suture|thread)\b", "thread"), (r"\b(tools|graspers|forceps|needle drivers)\b",
                                         "instruments"),
    (r"\bnon dominant\b", "left"), (r"\b(incision|cut)\b", "wound"),
    (r"\bevert(s|ed|ing)?\b", "turned outward"), (r"\binvert(s|ed|ing)?\b", "turned inward"),
    (r"\bcinch(ed|es)?\b", "tightened"), (r"\bsnug(ged|s)? down\b", "tightened"),
    (r"\bbites?\b", "stitch"),
    (r"\b(exit|exits) point\b", "needle exit"), (r"\bentry point\b", "needle insertion"),
    (r"\b(swaged|tail|back) end\b", "tail"), (r"\b(its|the needle'?s?) point\b", "its tip"),
    (r"\blaid square\b", "laid square flat"),
    (r"\bpalm(s|ed|ing)? the (needle driver|driver|needle holder|instrument)\b",
     "holds the driver in the palm"),
    (r"\s+", " "),
]
_REWRITES = [(re.compile(p), r) for p, r in REWRITES]


def rewrite(text: str) -> str:
    out = text.lower().replace("’", "'").strip().rstrip(".")
    for pattern, repl in _REWRITES:
        out = pattern.sub(repl, out)
    return out.strip()


# --- synonyms: stems folded onto one concept for the lexical overlap --------------------

SYNONYM_GROUPS = [
    "torso chest", "head gaze eye eyes chin", "look see sees view",
    "hand hands palm", "finger fingers", "foot feet stance", "leg legs thigh",
    "instrument instruments tool", "basket goal", "corner post", "platform tower",
    "jump takeoff leap", "land landing", "frequent often", "grasp grip grab hold",
    "wound incision", "ring target", "swing swings", "approach run", "bounce dribble",
    "velocity speed", "abdomen core stomach", "hip pelvis", "barbell bar",
    "fingerboard fretboard fret", "rhythm timing beat", "kettlebell bell", "stitch suture",
    "rotation somersault spin",
]


def _synonyms() -> dict[str, str]:
    out: dict[str, str] = {}
    for group in SYNONYM_GROUPS:
        words = group.split()
        head = stem(words[0])
        for w in words:
            out.setdefault(stem(w), head)
    return out


SYNONYMS = _synonyms()

# --- direction --------------------------------------------------------------------------
# scale -> (family, family sign, + end, - end). A base word stands for all its inflections.
SCALES: dict[str, tuple[str, int, str, str]] = {
    "height": ("vertical", 1,
               "high tall raise lift rise up upward upwards above overhead elevate elevation "
               "hoist peak climb shallow",
               "low drop down downward downwards sink droop below beneath under underneath "
               "descend dip deep crouch hang lowering"),
    "extension": ("vertical", 1,
                  "straight extend extended stretch outstretched unbent lock neutral",
                  "bend flex flexion crook crooked curl curve round hunch arch kink buckle "
                  "pike"),
    "distance": ("spread", 1,
                 "far wide apart spread broad away distant splay separate gap margin past beyond",
                 "close near narrow together adjacent join bunch hug"),
    "length": ("spread", 1, "long lengthen", "short shorten brief"),
    "openness": ("spread", 1, "open", "closed shut"),
    "speed": ("speed", 1,
              "fast quick rapid swift brisk hurry rush explosive snappy sudden accelerate "
              "whip",
              "slow sluggish gradual leisurely decelerate unhurried"),
    "timing": ("timing", 1, "late delay belated postpone", "early soon premature prompt"),
    "rotation": ("rotation", 1, "rotate twist turn spin roll pivot swivel supinate "
                 "pronate", ""),
    "sameness": ("sameness", 1, "same identical matching alike", "opposite alternate alternating "
                 "contrary reverse"),
    "tension": ("tension", 1,
                "tight tense stiff rigid clench squeeze taut tighten tension",
                "loose relax slack floppy limp loosen"),
    "force": ("force", 1,
              "hard heavy strong forceful powerful force power pressure press pound stomp "
              "slam vigorous firm loud forcefully",
              "soft light gentle weak quiet delicate tap graze lightly"),
    "stability": ("flow", 1,
                  "stable steady still balanced constant level",
                  "wobble wobbly shaky shake sway tremble tremor jitter bob fidget drift "
                  "fluctuate fluctuation unbalanced slip"),
    "continuity": ("flow", 1,
                   "continuous connected seamless flowing",
                   "jerky choppy halting lurch stop pause stutter interrupted gap detached "
                   "separated"),
    "multiplicity": ("flow", -1,
                     "two twice double several multiple steps stages increments tugs advances",
                     "one single once"),
    "verticality": ("orientation", 1,
                    "upright vertical perpendicular steep erect plumb",
                    "horizontal lean slope incline recline"),
    "alignment": ("orientation", 1,
                  "parallel aligned square", "slanted angled crooked oblique skewed askew"),
    "sagittal": ("sagittal", 1, "forward forwards ahead front",
                 "backward backwards behind rear"),
    "lateral": ("lateral", 1, "outward outwards outside flare splay",
                "inward inwards inside cave tucked"),
    "facing": ("facing", 1, "toward towards facing", "sideways"),
    "accuracy": ("accuracy", 1, "accurate accurately centered exact",
                 "miss inaccurate stray"),
    "visibility": ("visibility", 1, "visible seen", "hidden obscured"),
    "splash": ("splash", 1, "splash", ""),
    "rotation_amount": ("rotation_amount", 1, "overrotated", "underrotated"),
    "count": ("amount", 1, "frequent often many repeatedly", "rarely seldom"),
    "size": ("amount", 1, "big large great huge", "small little tiny slight minimal"),
    "amount": ("amount", 1, "more extra increase increased", "reduce reduced decrease"),
}
# words on one scale that also read on a second one, with less weight: "flat" is straight,
# and also low ("a flatter arc") and lying down ("laid flat")
SECONDARY: dict[str, list[tuple[str, int]]] = {
    "flat": [("extension", 1), ("height", -1), ("verticality", -1), ("tip", -1)],
    "past": [("sagittal", 1)], "beyond": [("sagittal", 1)],
    "tight": [("distance", -1)], "loose": [("distance", 1)], "tucked": [("distance", -1)],
    "open": [("distance", 1)], "closed": [("distance", -1)],
    "toward": [("distance", -1)], "towards": [("distance", -1)],
    "away": [("facing", -1)], "upright": [("height", 1)], "tall": [("verticality", 1)],
    "direct": [("extension", 1), ("length", -1)], "curve": [("length", 1)],
    "hunch": [("verticality", -1)],
    "square": [("facing", 1), ("extension", 1)], "steep": [("height", 1)],
    "firm": [("tension", 1)], "relax": [("force", -1)], "soft": [("tension", -1)],
    "stiff": [("extension", 1)], "straight": [("alignment", 1)], "lock": [("tension", 1)],
    "separated": [("distance", 1)], "connected": [("distance", -1)],
    "together": [("multiplicity", -1)], "wide": [("length", 1)], "narrow": [("length", -1)],
    "short": [("distance", -1)], "long": [("distance", 1), ("timing", 1)],
    "level": [("alignment", 1)], "slanted": [("verticality", -1)],
    "angled": [("verticality", -1)], "crooked": [("extension", -1)],
    "parallel": [("verticality", -1)], "deep": [("extension", -1)],
    "explosive": [("force", 1)], "sudden": [("continuity", -1)], "pause": [("speed", -1)],
    "hug": [("tension", 1)], "squeeze": [("distance", -1)], "clench": [("distance", -1)],
    "outward": [("distance", 1)], "inward": [("distance", -1)], "cave": [("distance", -1)],
    "flare": [("distance", 1)], "splay": [("distance", 1)], "drift": [("distance", 1)],
}
# judgement words that still say which way a statement points: "smoother" is not a property
# (a statement made of it is vague), but against "jerky" it is the other end
QUALITY_READINGS: dict[str, tuple[str, int]] = {
    "smooth": ("continuity", 1), "smoothly": ("continuity", 1), "fluid": ("continuity", 1),
    "fluent": ("continuity", 1), "controlled": ("stability", 1), "control": ("stability", 1),
    "clean": ("splash", -1), "cleaner": ("splash", -1), "secure": ("stability", 1),
    "crisp": ("continuity", -1),
}
# the marked (lesser) end of the scales of size: "shorter" says less of a length, "deeper"
# more of a depth. A statement that only says "less" ("less bow is used") agrees with one
# that names the marked end ("the strokes are shorter")
MARKED = {"low", "shallow", "short", "narrow", "near", "close", "slow", "small", "little",
          "weak", "soft", "light", "gentle", "quiet", "loose", "slack", "thin", "brief", "few",
          "tiny", "slight", "minimal", "together", "relax", "relaxed", "shorten", "narrowed",
          "lightly", "gently", "softly", "quietly", "slowly", "closer", "lower"}

# adjectives whose negative prefix forms (un-, in-, im-, ir-, il-, dis-, non-) are the other
# end of their scale: "unstable", "uneven", "inconsistent", "imbalanced"
NEGATABLE = ("stable steady balanced even consistent regular level aligned accurate "
             "symmetric symmetrical locked bent connected hurried steadily evenly "
             "consistently supported visible").split()
# and these, not on a scale of their own, go on the one named
EXTRA_WORDS: dict[str, tuple[str, int]] = {
    "even": ("stability", 1), "evenly": ("stability", 1), "uniform": ("stability", 1),
    "consistent": ("stability", 1), "regular": ("stability", 1),
    "symmetric": ("stability", 1), "symmetrical": ("stability", 1),
    "supported": ("stability", 1),
}
# nouns that name a scale: "more elevation", "less splash", "the speed is lower"
SCALE_NOUNS: dict[str, tuple[str, int]] = {
    "height": ("height", 1), "elevation": ("height", 1), "depth": ("height", -1),
    "lift": ("height", 1), "altitude": ("height", 1),
    "speed": ("speed", 1), "velocity": ("speed", 1), "pace": ("speed", 1),
    "tempo": ("speed", 1), "rate": ("speed", 1), "cadence": ("speed", 1),
    "quickness": ("speed", 1),
    "distance": ("distance", 1), "width": ("distance", 1), "margin": ("distance", 1),
    "spacing": ("distance", 1), "space": ("distance", 1),
    "length": ("length", 1), "duration": ("length", 1),
    "tension": ("tension", 1), "tightness": ("tension", 1),
    "pressure": ("force", 1), "force": ("force", 1), "power": ("force", 1),
    "volume": ("force", 1), "weight": ("force", 1), "impact": ("force", 1),
    "splash": ("splash", 1), "spray": ("splash", 1),
    "frequency": ("count", 1), "number": ("count", 1), "count": ("count", 1),
    "amount": ("amount", 1), "range": ("size", 1), "size": ("size", 1),
    "accuracy": ("accuracy", 1), "precision": ("accuracy", 1),
    "variation": ("size", 1), "fluctuation": ("stability", -1),
    "momentum": ("force", 1), "arch": ("extension", -1), "bend": ("extension", -1),
    "curvature": ("extension", -1), "flexion": ("extension", -1),
}
# size words: with a scale noun they say how much of it there is, and nothing else
QUANTITY = {"more": 1, "greater": 1, "great": 1, "big": 1, "large": 1, "high": 1,
            "increase": 1, "increased": 1, "extra": 1, "huge": 1, "lot": 1,
            "less": -1, "small": -1, "low": -1, "little": -1, "reduce": -1, "reduced": -1,
            "decrease": -1, "decreased": -1, "minimal": -1, "tiny": -1, "slight": -1,
            "few": -1, "short": -1, "long": 1}
# places at the two ends of a scale: a statement about one end is "closer to" it; "further
# from" it is the other end
LOCATIONS: dict[str, tuple[str, int]] = {
    "tip": ("tip", 1), "tips": ("tip", 1), "toe": ("tip", 1), "toes": ("tip", 1),
    "palm": ("tip", -1), "palms": ("tip", -1), "pad": ("tip", -1), "pads": ("tip", -1),
    "heel": ("tip", -1), "heels": ("tip", -1), "base": ("tip", -1), "tail": ("tip", -1),
    "end": ("tip", 1),
    "bridge": ("bowpos", 1), "fingerboard": ("bowpos", -1),
    "corner": ("placement", 1), "post": ("placement", 1), "center": ("placement", -1),
    "centre": ("placement", -1), "middle": ("placement", -1),
}
LOCATION_FAMILY = {"tip": "tip", "bowpos": "bowpos", "placement": "placement"}
# a place word is read as a place only after one of these ("on the toes", "nearer the bridge")
PLACE_PREPOSITIONS = set("on onto in into with at to toward towards near nearer close closer "
                         "by from off over against".split())
# words before a place that say the statement is about the other end of its scale
FAR = {"far", "away"}
# two or more alternatives of one choice: a statement about one is the reverse of one
# about another (after REWRITES, which name them with one word)
ALTERNATIVES = [
    "footinside footoutside footlaces", "pickalternate pickdown",
    "griptraditional gripmatched", "onefoot twofeet",
    "sourcewrist sourceelbow sourceforearm sourcearm sourceshoulder sourcefingers",
]


def _signed() -> dict[str, list[tuple[str, int, bool]]]:
    """Stem -> [(scale, sign, primary)], from SCALES, SECONDARY, NEGATABLE, EXTRA_WORDS."""
    out: dict[str, list[tuple[str, int, bool]]] = {}

    def put(word: str, scale: str, sign: int, primary: bool) -> None:
        for form in inflections(word):
            key = stem(form)
            readings = out.setdefault(key, [])
            if all(s != scale for s, _, _ in readings):
                readings.append((scale, sign, primary))

    for scale, (_, _, plus, minus) in SCALES.items():
        for words, sign in ((plus, 1), (minus, -1)):
            for w in words.split():
                put(w, scale, sign, True)
    for w, (scale, sign) in EXTRA_WORDS.items():
        put(w, scale, sign, True)
    for w, pairs in SECONDARY.items():
        for scale, sign in pairs:
            put(w, scale, sign, False)
    for w in NEGATABLE:
        primary = out.get(stem(w), [])
        for prefix in ("un", "in", "im", "ir", "il", "dis", "non", "non-"):
            for form in inflections(w):
                key = stem(prefix + form)
                if key not in out:
                    out[key] = [(s, -sign, p) for s, sign, p in primary]
    return out


SIGNED = _signed()
# stems that are not direction words whatever they look like
NOT_SIGNED = {stem(w) for w in ("player lifter diver dribbler passer shooter kicker runner "
                                "jumper bounce").split()}
for _w in NOT_SIGNED:
    SIGNED.pop(_w, None)
SCALE_NOUN_STEMS = {stem(w): v for w, v in SCALE_NOUNS.items()}
QUANTITY_STEMS = {stem(w): v for w, v in QUANTITY.items()}
GENERIC_SCALES = {"amount", "size"}
FAMILY = {scale: (fam, sign) for scale, (fam, sign, _, _) in SCALES.items()}
FAMILY.update({scale: (fam, 1) for scale, fam in LOCATION_FAMILY.items()})
# a plain name for each scale, for the statement's property phrase
SCALE_NAMES = {
    "height": "height", "extension": "straightness", "distance": "distance", "sameness": "way",
    "rotation": "rotation",
    "length": "length", "openness": "openness", "speed": "speed", "timing": "timing",
    "tension": "tension", "force": "force", "stability": "steadiness",
    "continuity": "continuity", "multiplicity": "steps", "verticality": "angle",
    "alignment": "alignment", "sagittal": "forward", "lateral": "inward", "facing": "facing",
    "accuracy": "accuracy", "visibility": "visibility", "splash": "splash",
    "rotation_amount": "rotation", "count": "frequency", "size": "size", "amount": "",
    "tip": "contact",
    "bowpos": "contact point", "placement": "placement",
}

# phases of an action: the same property in two phases is two properties
PHASE_GROUPS = [
    "start begin beginning initial setup", "top lockout peak", "bottom",
    "takeoff", "land landing touchdown", "entry enter", "flight air",
    "release finish follow-through", "catch", "approach run",
    "contact impact strike", "lowering descent eccentric",
    "lifting ascent concentric", "backswing windup preparation load",
]


def _phases() -> dict[str, str]:
    out: dict[str, str] = {}
    for group in PHASE_GROUPS:
        words = group.split()
        for w in words:
            out.setdefault(stem(w), stem(words[0]))
    return out


PHASES = _phases()
