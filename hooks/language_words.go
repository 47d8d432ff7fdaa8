package hooks

import (
	"maps"
	"slices"
	"strings"
	"unicode"
)

// functionWords are frequent words of each Latin-script language rein
// detects (ISO 639-1), words a reasoning trace uses in any sentence. On a
// short text the trigram model can be sure and wrong ("Let me think." reads
// as French to it); the function words tell the languages apart, and a
// detection they contradict is no detection. Words shared by languages
// count for each; one-letter words that are articles or prepositions in
// most of them ("a", "o", "e") are left out.
var functionWords = map[string][]string{
	"en": {"the", "an", "and", "or", "but", "is", "are", "was", "were", "be", "been", "to", "of", "in", "on",
		"at", "for", "with", "that", "this", "it", "i", "me", "my", "we", "you", "let", "so", "if", "then",
		"not", "no", "do", "does", "what", "which", "how", "there", "here", "from", "by", "as", "can",
		"need", "wait", "okay", "now", "first", "maybe", "actually", "think", "check", "again",
		"answer", "user", "hmm", "it's", "i'm", "let's", "should", "would", "will", "have", "has"},
	"fr": {"le", "la", "les", "un", "une", "des", "du", "de", "et", "ou", "mais", "est", "sont", "je", "j",
		"tu", "il", "elle", "nous", "vous", "ils", "que", "qu", "qui", "ne", "pas", "pour", "dans", "sur",
		"avec", "ce", "cette", "ces", "donc", "alors", "au", "aux", "mon", "ma", "mes", "se", "sa", "son",
		"attends", "bon", "c", "d", "l", "n", "puis", "d'abord", "voilà", "réponse", "fait", "être", "très",
		"en", "vais", "va", "suis", "à", "y"},
	"es": {"el", "la", "los", "las", "un", "una", "unos", "y", "pero", "es", "son", "que", "de", "del", "en",
		"por", "para", "con", "no", "se", "lo", "su", "como", "más", "primero", "luego", "entonces", "pues",
		"espera", "está", "esto", "este", "esta", "yo", "hay", "muy", "también", "respuesta", "pregunta"},
	"it": {"il", "lo", "la", "gli", "le", "un", "una", "ma", "è", "sono", "che", "di", "del", "della", "in",
		"per", "con", "non", "si", "come", "più", "anche", "questo", "questa", "quindi", "allora", "poi",
		"prima", "aspetta", "ho", "risposta", "domanda", "cosa"},
	"pt": {"os", "as", "um", "uma", "ou", "mas", "é", "são", "que", "de", "do", "da", "dos", "das", "em", "no",
		"na", "por", "para", "com", "não", "se", "como", "mais", "então", "primeiro", "depois", "isso",
		"isto", "este", "esta", "eu", "espera", "resposta", "pergunta", "você"},
	"de": {"der", "die", "das", "und", "oder", "aber", "ist", "sind", "ich", "du", "er", "sie", "es", "wir",
		"nicht", "ein", "eine", "einen", "zu", "von", "mit", "auf", "für", "den", "dem", "des", "im", "auch",
		"wie", "dann", "noch", "warte", "zuerst", "jetzt", "dass", "wenn", "antwort", "frage", "also"},
	"nl": {"de", "het", "een", "en", "maar", "is", "zijn", "ik", "je", "hij", "zij", "we", "wij", "niet", "van",
		"te", "met", "op", "voor", "dat", "die", "dit", "als", "dan", "nog", "ook", "wacht", "eerst", "nu",
		"wat", "hoe", "om", "er", "antwoord", "vraag"},
	"pl": {"w", "z", "na", "do", "nie", "to", "jest", "są", "że", "się", "ale", "lub", "czy", "jak", "co", "ten",
		"ta", "te", "dla", "od", "po", "przez", "więc", "najpierw", "potem", "czekaj", "teraz", "może",
		"odpowiedź", "pytanie"},
	"tr": {"ve", "bir", "bu", "şu", "da", "de", "için", "ile", "ne", "mi", "mı", "değil", "var", "yok", "çok",
		"daha", "sonra", "önce", "ama", "veya", "gibi", "kadar", "şimdi", "bekle", "evet", "olarak", "olan",
		"ben", "biz", "cevap", "soru"},
}

// wordLangs maps each function word to its languages.
var wordLangs = func() map[string][]string {
	m := map[string][]string{}
	for lang, words := range functionWords {
		for _, w := range words {
			m[w] = append(m[w], lang)
		}
	}
	return m
}()

// functionWordHits counts the function words of each language in text.
func functionWordHits(text string) map[string]int {
	hits := map[string]int{}
	count := func(w string) {
		for _, l := range wordLangs[w] {
			hits[l]++
		}
	}
	for _, word := range strings.FieldsFunc(strings.ToLower(text), func(r rune) bool {
		return !unicode.IsLetter(r) && r != '\'' && r != '’'
	}) {
		word = strings.ReplaceAll(word, "’", "'")
		count(word)
		// "j'additionne", "l'acqua", "it's": the parts count too.
		if i := strings.IndexByte(word, '\''); i > 0 && !strings.Contains(word, "'s") {
			count(word[:i])
		}
	}
	return hits
}

// agreeWithFunctionWords checks the trigram model's lang for a Latin-script
// text against its function words: lang stands when its words are among
// the most frequent; a language whose words clearly outnumber every other
// one's (three or more, twice the next) stands instead; anything else is
// unsure (""). "ok" counts for no language: every one uses it.
func agreeWithFunctionWords(text, lang string) string {
	hits := functionWordHits(text)
	best, second, bestLang := 0, 0, ""
	for _, l := range slices.Sorted(maps.Keys(hits)) {
		switch n := hits[l]; {
		case n > best:
			best, second, bestLang = n, best, l
		case n > second:
			second = n
		}
	}
	switch {
	case best == 0:
		return "" // no function words at all: a formula, a list of names
	case hits[lang] == best:
		return lang
	case best >= 3 && best >= 2*second:
		// Clearly another language's words (three at least): a short
		// text that the trigram model misread.
		return bestLang
	}
	return ""
}

// cyrillicWords are frequent words only Russian or only Ukrainian has.
var cyrillicWords = map[string]string{
	"что": "ru", "это": "ru", "как": "ru", "потом": "ru", "сначала": "ru", "надо": "ru", "нужно": "ru",
	"если": "ru", "или": "ru", "но": "ru", "теперь": "ru", "подожди": "ru", "погоди": "ru", "хорошо": "ru",
	"где": "ru", "когда": "ru", "чтобы": "ru", "его": "ru", "она": "ru", "они": "ru", "мы": "ru", "вы": "ru",
	"он": "ru", "давай": "ru", "ответ": "ru", "вопрос": "ru", "сколько": "ru", "будет": "ru", "и": "ru",
	"що": "uk", "це": "uk", "як": "uk", "потім": "uk", "спочатку": "uk", "треба": "uk", "потрібно": "uk",
	"якщо": "uk", "або": "uk", "але": "uk", "тепер": "uk", "зачекай": "uk", "добре": "uk", "де": "uk",
	"коли": "uk", "щоб": "uk", "його": "uk", "вона": "uk", "вони": "uk", "ми": "uk", "ви": "uk", "він": "uk",
	"давайте": "uk", "відповідь": "uk", "питання": "uk", "скільки": "uk", "буде": "uk", "і": "uk", "й": "uk",
}

// cyrillicLang tells Russian from Ukrainian by the letters only one of
// them has (ы э ъ ё, і ї є ґ), else by the words only one of them has;
// with no sign either way, or signs both ways, it is unsure.
func cyrillicLang(text string) string {
	ru := strings.ContainsAny(text, "ыэъёЫЭЪЁ")
	uk := strings.ContainsAny(text, "іїєґІЇЄҐ")
	switch {
	case ru && uk:
		return ""
	case ru:
		return "ru"
	case uk:
		return "uk"
	}
	n := map[string]int{}
	for _, w := range strings.FieldsFunc(strings.ToLower(text), func(r rune) bool { return !unicode.IsLetter(r) }) {
		n[cyrillicWords[w]]++
	}
	switch {
	case n["ru"] > n["uk"]:
		return "ru"
	case n["uk"] > n["ru"]:
		return "uk"
	}
	return ""
}
