"""Word lists for synthetic names: villages, people, products as offices write them.

Village names are real-sounding Javanese, Sundanese, Balinese, Malay, Bugis and
eastern Indonesian place names (several hundred, plus compounds), so sentra names are
diverse and distinct sentra in one kab/kota can still look alike — the matching stage
must not be able to cheat on rare tokens.
"""

from __future__ import annotations

VILLAGES = (
    "Kasongan", "Giriloyo", "Sanan", "Manding", "Kotagede", "Krebet", "Tembi", "Pundong",
    "Wukirsari", "Imogiri", "Panggungharjo", "Bangunjiwo", "Sendangsari", "Kajar", "Bejiharjo",
    "Karangrejek", "Pucung", "Ngestiharjo", "Tirtonirmolo", "Sumbermulyo", "Trimulyo",
    "Srimartani", "Sitimulyo", "Jambidan", "Potorono", "Baturetno", "Wonokromo", "Pleret",
    "Segoroyoso", "Bawuran", "Selopamioro", "Seloharjo", "Srihardono", "Gilangharjo",
    "Triwidadi", "Sendangsari", "Argodadi", "Argorejo", "Tamantirto", "Kasihan", "Trirenggo",
    "Sabdodadi", "Donotirto", "Tirtohargo", "Gadingsari", "Poncosari", "Murtigading",
    "Godean", "Sidoarum", "Sidokarto", "Sidoluhur", "Minggir", "Sendangrejo", "Moyudan",
    "Sumberagung", "Tempel", "Margorejo", "Pakem", "Hargobinangun", "Cangkringan", "Wukirsari",
    "Prambanan", "Bokoharjo", "Sambirejo", "Berbah", "Kalitirto", "Tegaltirto", "Jogotirto",
    "Kalasan", "Tamanmartani", "Purwomartani", "Ngaglik", "Sardonoharjo", "Mlati", "Sendangadi",
    "Tlogoadi", "Seyegan", "Margodadi", "Wates", "Sentolo", "Nanggulan", "Kokap", "Girimulyo",
    "Samigaluh", "Kalibawang", "Galur", "Lendah", "Panjatan", "Temon", "Playen", "Wonosari",
    "Semanu", "Karangmojo", "Ponjong", "Rongkop", "Tepus", "Paliyan", "Patuk", "Nglipar",
    "Troso", "Tahunan", "Mulyoharjo", "Pecangaan", "Kalinyamatan", "Welahan", "Kudus", "Kaliwungu",
    "Kauman", "Laweyan", "Kampung Batik", "Pasar Kliwon", "Bayat", "Melikan", "Wedi", "Juwiring",
    "Tanjungsari", "Pandes", "Tlingsing", "Jatinom", "Tulung", "Manisrenggo", "Klaten",
    "Pekalongan", "Buaran", "Kradenan", "Wiradesa", "Kedungwuni", "Pesindon", "Kergon", "Banyurip",
    "Kliwonan", "Pilang", "Masaran", "Plupuh", "Tanon", "Gemolong", "Sukodono", "Kedawung",
    "Tegalrejo", "Mojolaban", "Grogol", "Baki", "Gatak", "Kartasura", "Colomadu", "Klodran",
    "Trangsan", "Tampir", "Bekonang", "Polokarto", "Nguter", "Bulu", "Tawangsari", "Weru",
    "Mayong", "Jepara", "Mlonggo", "Bangsri", "Keling", "Kembang", "Donorojo", "Batealit",
    "Kalikotes", "Sidomulyo", "Randusari", "Gedangan", "Kasreman", "Sumberejo", "Mojosari",
    "Tanggulangin", "Kedensari", "Kludan", "Wedoro", "Waru", "Sidoarjo", "Porong", "Krian",
    "Bangil", "Pasuruan", "Rembang", "Kraton", "Gempol", "Pandaan", "Prigen", "Sukorejo",
    "Singosari", "Dinoyo", "Tunjungsekar", "Karangploso", "Pakis", "Tumpang", "Poncokusumo",
    "Wajak", "Turen", "Dampit", "Gondanglegi", "Kepanjen", "Pakisaji", "Bululawang",
    "Trowulan", "Bejijong", "Jatisumber", "Mojokerto", "Sooko", "Puri", "Kemlagi", "Gedeg",
    "Tuban", "Kerek", "Gaji", "Margorejo", "Jarum", "Gresik", "Cerme", "Bungah", "Sidayu",
    "Tanjung Bumi", "Telaga Biru", "Bangkalan", "Sampang", "Pamekasan", "Klampar", "Sumenep",
    "Pakandangan", "Trenggalek", "Ponorogo", "Paringan", "Sooko", "Magetan", "Ngawi",
    "Cibaduyut", "Cigondewah", "Suci", "Binong", "Cihampelas", "Cibuntu", "Plered", "Anjun",
    "Citeureup", "Tajur", "Ciomas", "Cibatok", "Leuwiliang", "Jasinga", "Cianjur", "Cipanas",
    "Sukaregang", "Tasikmalaya", "Rajapolah", "Manonjaya", "Singaparna", "Kawalu", "Ciamis",
    "Trusmi", "Plumbon", "Kalitengah", "Tegalwangi", "Weru Lor", "Gegesik", "Indramayu",
    "Paoman", "Karangampel", "Cirebon", "Kuningan", "Cigugur", "Sumedang", "Tanjungsari",
    "Garut", "Leles", "Kadungora", "Samarang", "Cikajang", "Purwakarta", "Sukatani",
    "Bojongsari", "Cileungsi", "Cibinong", "Pamulang", "Ciputat", "Serang", "Banten Lama",
    "Pandeglang", "Menes", "Baduy", "Rangkasbitung", "Cilegon", "Tangerang", "Pasar Baru",
    "Celuk", "Mas", "Ubud", "Peliatan", "Tegallalang", "Sukawati", "Batubulan", "Gianyar",
    "Klungkung", "Kamasan", "Tenganan", "Sidemen", "Karangasem", "Tabanan", "Kapal",
    "Mengwi", "Pejaten", "Singaraja", "Beratan", "Jembrana", "Negara", "Bangli",
    "Sukarara", "Sade", "Banyumulek", "Masbagik", "Penujak", "Loyok", "Pringgasela",
    "Bima", "Dompu", "Sumbawa", "Kupang", "Ende", "Sikka", "Maumere", "Waingapu", "Prailiu",
    "Lamalera", "Larantuka", "Atambua", "Soe", "Silungkang", "Pandai Sikek", "Koto Gadang",
    "Kubang", "Halaban", "Payakumbuh", "Bukittinggi", "Sungai Puar", "Padang Panjang",
    "Tanjung Pinang", "Muara Jambi", "Seberang Kota", "Tanjung Raja", "Tuan Kentang",
    "Sukarami", "Muara Enim", "Baturaja", "Lahat", "Pagar Alam", "Kayu Agung", "Palembang",
    "Tapis", "Pesisir", "Krui", "Liwa", "Metro", "Gunung Sugih", "Pringsewu", "Gisting",
    "Siak", "Pelalawan", "Bengkalis", "Selat Panjang", "Bagansiapiapi", "Kampar", "Bangkinang",
    "Tarutung", "Balige", "Porsea", "Muara", "Silindung", "Samosir", "Tomok", "Pematang Siantar",
    "Kabanjahe", "Berastagi", "Binjai", "Tebing Tinggi", "Sibolga", "Pidie", "Sigli",
    "Lhokseumawe", "Bireuen", "Takengon", "Meulaboh", "Sabang", "Lamno", "Samalanga",
    "Sintang", "Sambas", "Singkawang", "Mempawah", "Ketapang", "Sanggau", "Putussibau",
    "Martapura", "Kertak Hanyar", "Sungai Tabuk", "Nagara", "Amuntai", "Barabai", "Kandangan",
    "Samarinda Seberang", "Tenggarong", "Loa Kulu", "Sangatta", "Tanjung Redeb", "Long Iram",
    "Palangkaraya", "Kasongan Hulu", "Pangkalan Bun", "Sampit", "Kuala Kapuas", "Muara Teweh",
    "Tomohon", "Tondano", "Kawangkoan", "Airmadidi", "Bitung", "Kotamobagu", "Limboto",
    "Donggala", "Palu", "Poso", "Tentena", "Luwuk", "Toli-Toli", "Sengkang", "Wajo", "Soppeng",
    "Bulukumba", "Tana Beru", "Bantaeng", "Jeneponto", "Takalar", "Gowa", "Maros", "Pangkep",
    "Barru", "Parepare", "Sidrap", "Enrekang", "Toraja", "Rantepao", "Makale", "Palopo",
    "Masamba", "Malili", "Mandar", "Polewali", "Majene", "Mamuju", "Kendari", "Kolaka",
    "Raha", "Baubau", "Wakatobi", "Buton", "Ternate", "Tidore", "Sofifi", "Tobelo", "Ambon",
    "Tulehu", "Saparua", "Masohi", "Tual", "Saumlaki", "Sorong", "Manokwari", "Fakfak",
    "Kaimana", "Nabire", "Biak", "Serui", "Wamena", "Jayapura", "Sentani", "Merauke", "Timika",
)  # fmt: skip

# Compound village names ("Sidorejo", "Sumbermulyo") multiply the variety.
PLACE_HEADS = (
    "Karang", "Suka", "Sido", "Wono", "Sumber", "Tegal", "Banyu", "Ngadi", "Kali", "Giri",
    "Wukir", "Mulyo", "Tanjung", "Rejo", "Pandan", "Kebon", "Sari", "Jati", "Tambak", "Ploso",
    "Pucang", "Gedong", "Watu", "Selo", "Argo", "Pakis", "Gunung", "Lemah", "Ngampel", "Kedung",
    "Cibodas", "Cikole", "Sindang", "Mekar", "Jaya", "Tirta", "Purwo", "Margo", "Sendang", "Bumi",
)  # fmt: skip
PLACE_TAILS = (
    "rejo", "sari", "mulyo", "harjo", "agung", "jaya", "makmur", "wangi", "asri", "loyo",
    "songan", "sanan", "anom", "kerto", "tirto", "moyo", "kulon", "wetan", "lor", "kidul",
    "winangun", "sobo", "dadi", "utomo", "rahayu", "laya", "galih", "mukti", "raharja", "luhur",
)  # fmt: skip

# What an office writes after "Sentra": specific products of each register commodity.
PRODUCTS: dict[str, tuple[str, ...]] = {
    "makanan olahan": ("Makanan Olahan", "Olahan Pangan", "Jenang", "Bakpia", "Wingko", "Geplak"),
    "keripik": ("Keripik Tempe", "Keripik Singkong", "Keripik Pisang", "Keripik Belut", "Keripik"),
    "kerupuk": ("Kerupuk", "Kerupuk Rambak", "Kerupuk Udang", "Kerupuk Ikan", "Karak"),
    "tahu tempe": ("Tahu", "Tempe", "Tahu Tempe", "Tahu Takwa"),
    "kopi": ("Kopi", "Kopi Bubuk", "Kopi Robusta", "Kopi Arabika"),
    "gula aren": ("Gula Aren", "Gula Semut", "Gula Kelapa", "Gula Jawa"),
    "dodol": ("Dodol", "Dodol Garut", "Jenang Dodol"),
    "roti dan kue": ("Roti", "Kue Kering", "Roti dan Kue", "Bolu"),
    "minuman herbal": ("Jamu", "Minuman Herbal", "Wedang Uwuh", "Jamu Gendong"),
    "olahan ikan": ("Ikan Asap", "Ikan Asin", "Olahan Ikan", "Terasi", "Abon Ikan"),
    "kain tenun": ("Tenun", "Kain Tenun", "Tenun ATBM", "Lurik"),
    "tenun ikat": ("Tenun Ikat", "Ikat", "Tenun Ikat Troso"),
    "songket": ("Songket", "Kain Songket", "Tenun Songket"),
    "ulos": ("Ulos", "Tenun Ulos"),
    "kain batik": ("Batik", "Kain Batik", "Batik Kombinasi"),
    "batik tulis": ("Batik Tulis", "Batik Tulis Halus"),
    "batik cap": ("Batik Cap", "Batik Cap dan Tulis", "Batik Printing"),
    "anyaman bambu": ("Anyaman Bambu", "Kerajinan Bambu", "Besek", "Bambu"),
    "anyaman pandan": ("Anyaman Pandan", "Tikar Pandan", "Kerajinan Pandan"),
    "anyaman rotan": ("Anyaman Rotan", "Rotan", "Kerajinan Rotan"),
    "anyaman mendong": ("Anyaman Mendong", "Tikar Mendong"),
    "gerabah": ("Gerabah", "Gerabah Hias", "Kerajinan Gerabah"),
    "keramik": ("Keramik", "Keramik Hias"),
    "tembikar": ("Tembikar", "Kendi", "Anglo"),
    "furnitur kayu": ("Mebel", "Furnitur Kayu", "Mebel Jati", "Meubel"),
    "logam": ("Logam", "Pande Besi", "Kerajinan Logam", "Cor Logam"),
    "kulit": ("Kulit", "Kerajinan Kulit", "Penyamakan Kulit", "Wayang Kulit"),
    "konveksi": ("Konveksi", "Pakaian Jadi", "Garmen"),
    "bordir": ("Bordir", "Sulaman", "Bordir Tasik"),
    "batu bata": ("Batu Bata", "Bata Merah", "Genteng"),
    "ukiran kayu": ("Ukiran Kayu", "Ukir", "Patung Kayu", "Topeng Kayu"),
    "perak": ("Perak", "Kerajinan Perak", "Filigree Perak"),
    "alas kaki": ("Sepatu", "Sandal", "Alas Kaki", "Sepatu Kulit"),
    "tas": ("Tas", "Tas Kulit", "Dompet dan Tas"),
}

# Register weights: OVOP groups (food, tenun, batik, anyaman, gerabah) dominate.
COMMODITY_WEIGHT: dict[str, float] = {
    "makanan olahan": 8, "keripik": 5, "kerupuk": 4, "tahu tempe": 4, "kopi": 3, "gula aren": 3,
    "dodol": 1.5, "roti dan kue": 2, "minuman herbal": 1.5, "olahan ikan": 3,
    "kain tenun": 4, "tenun ikat": 2, "songket": 1.5, "ulos": 1,
    "kain batik": 5, "batik tulis": 3, "batik cap": 2,
    "anyaman bambu": 5, "anyaman pandan": 2, "anyaman rotan": 2, "anyaman mendong": 1,
    "gerabah": 4, "keramik": 1.5, "tembikar": 1,
    "furnitur kayu": 4, "logam": 2.5, "kulit": 2, "konveksi": 3, "bordir": 1.5,
    "batu bata": 3, "ukiran kayu": 2, "perak": 1, "alas kaki": 2, "tas": 1.5,
}  # fmt: skip

FIRST_NAMES = (
    "Budi", "Siti", "Agus", "Sri", "Joko", "Dewi", "Bambang", "Wahyu", "Rina", "Slamet",
    "Yuli", "Hadi", "Endang", "Suparman", "Nur", "Eko", "Tri", "Sugeng", "Lestari", "Made",
    "Ketut", "Nyoman", "Wayan", "Putu", "Asep", "Ujang", "Euis", "Dadang", "Iwan", "Yayan",
    "Andi", "Muhammad", "Ahmad", "Abdul", "Fitri", "Ratna", "Hendra", "Rudi", "Yusuf", "Nurul",
    "Sutarno", "Parjo", "Tumini", "Wagiman", "Sumarni", "Poniman", "Darmi", "Marsono",
    "Hasanuddin", "Daeng", "Frans", "Yohanes", "Maria", "Theresia", "Rahmat", "Ucok",
)  # fmt: skip
# Sundanese spellings with é; they make Windows-1252 exports tell from UTF-8 ones.
ACCENTED_FIRST_NAMES = ("Dédé", "Enéng", "Cécép", "Ujé", "Néneng", "Encép")
LAST_NAMES = (
    "Santoso", "Wijaya", "Rahayu", "Pratama", "Hidayat", "Susanto", "Kurniawan", "Lestari",
    "Saputra", "Utami", "Setiawan", "Wibowo", "Purnomo", "Handayani", "Sutrisno", "Nasution",
    "Harahap", "Lubis", "Simanjuntak", "Sitompul", "Manurung", "Rusdi", "Suryana", "Permana",
    "Gunawan", "Firmansyah", "Hakim", "Syahputra", "Siswanto", "Mulyadi", "Rohmah", "Sulastri",
)  # fmt: skip
