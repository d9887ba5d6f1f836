"""English sentence banks and zh-en sentence pairs for the demo corpus. Original text written for Qingliu.

`PAIRS` are aligned translations; bilingual documents lay them out line by line or as a Chinese
paragraph followed by its English translation. Slots are filled consistently on both sides.
"""

from curation.demo.bank_zh import lines

NEWS = """
The {en_org} in {en_city} voted on {en_date} to expand bus service to several outlying neighborhoods.
Officials said the new routes would begin running in {en_month} and cost about {big} thousand dollars a year.
Residents who spoke at the meeting mostly supported the plan but asked for more frequent weekend trips.
A winter storm is expected to bring up to {n} inches of snow to {en_city} by Thursday morning.
Forecasters urged drivers to stay off the roads unless travel was absolutely necessary.
The local hospital opened a new pediatric wing on {en_date}, adding {num} beds.
Hospital staff said the expansion would shorten waiting times for families across the region.
Enrollment at the state university rose {pct} this fall, driven largely by transfer students.
The city's unemployment rate fell to {n}.{n} percent last month, its lowest level in two years.
Economists cautioned that part of the decline reflected people leaving the labor force.
A small bakery on Main Street celebrated its {num}th anniversary with free pastries for the first hundred customers.
The owner said the shop had survived two recessions by keeping prices low and recipes simple.
Firefighters contained a brush fire near the highway after several hours of work on Sunday afternoon.
No injuries were reported, though one lane remained closed while crews cleared debris.
The school board approved a budget that includes raises for teachers and new science equipment.
Several parents questioned why the plan did not address crowded classrooms at the middle school.
The public library will extend its evening hours starting in {en_month}, the director announced.
A new bike lane along the river is scheduled to open before the end of the year.
Construction delays pushed back the opening of the downtown stadium by nearly six months.
Local farmers reported a strong harvest despite a dry summer, thanks in part to improved irrigation.
The county recorded {big} new business registrations in the first quarter, up {pct} from a year earlier.
Police reminded residents to lock their cars after a string of thefts in parking garages.
Volunteers planted more than {big} trees in city parks during the annual spring cleanup.
The council postponed a vote on the housing proposal until after a second public hearing.
Airport officials said passenger traffic had returned to levels last seen before the pandemic.
A water main break flooded several streets overnight and left some homes without service until noon.
The museum's new exhibit features photographs of the region taken over the past century.
Organizers expect more than {big} runners to take part in the city marathon this weekend.
Health officials encouraged residents to get a flu shot before the holiday season.
The state legislature passed a bill requiring clearer labels on prescription drug prices.
Critics argued that the measure would raise costs for small pharmacies.
The company said it would hire about {num} workers for its new warehouse on the east side of {en_city}.
Gas prices dropped for the third straight week, according to a survey of local stations.
A community garden in the south end now supplies fresh vegetables to two nearby food banks.
The transit agency warned that trains would run on a reduced schedule during track repairs.
Voters in {en_city} will decide in {en_month} whether to raise the sales tax to pay for road repairs.
Supporters say the measure would raise about {num} million dollars over the next decade.
Opponents argue that the increase would fall hardest on low-income families.
The {en_org} said it had received more than {big} comments on the draft plan.
A local high school robotics team qualified for the national championship for the first time.
The team's coach said the students spent most weekends this spring rebuilding their machine.
Heavy rain caused the river to rise above flood stage on Tuesday, closing two bridges.
Emergency crews went door to door in low-lying neighborhoods to help residents leave.
The mayor said the city would review its drainage system once the water recedes.
A new grocery store opened downtown, ending what residents had called a years-long food desert.
Shoppers lined up before dawn for the opening, and some said they no longer needed to drive across town.
The county fair returns this weekend with livestock shows, a rodeo and a pie contest.
Officials expect attendance to top last year's record despite a forecast of scattered storms.
Rents in the metro area rose {pct} over the past year, according to a new report.
Housing advocates called on the council to speed up approval of affordable units.
The regional airport announced two new nonstop routes beginning in {en_month}.
The hospital system reached an agreement with nurses after months of negotiations over staffing.
Under the deal, nurses will receive raises of about four percent a year for three years.
A historic theater that closed a decade ago will reopen after a major renovation.
The restored building will host films, concerts and community events, its new owners said.
Wildlife officials warned hikers to keep their distance after several bear sightings near the trail.
A state audit found that the agency had failed to track millions of dollars in grants.
The agency's director said the problems had been corrected and new controls were in place.
Students returned to class on Monday after a week of school closures caused by the ice storm.
The city will begin collecting food scraps for composting in three neighborhoods this fall.
Residents will receive a small green bin and a guide explaining what can be included.
The police chief announced his retirement after more than thirty years with the department.
A fundraiser for the animal shelter brought in {big} dollars, surpassing its goal.
The new ferry terminal is expected to cut travel time across the bay by almost twenty minutes.
Road crews will repave a long stretch of the highway at night to avoid rush-hour delays.
The local newspaper marked its centennial with an exhibit of front pages from the past hundred years.
A nonprofit group is offering free tax preparation help to residents who earn less than sixty thousand dollars.
Farmers' market organizers said the number of vendors had nearly doubled since last season.
The state parks department reopened a popular campground that had been damaged by wildfire.
Engineers said the old dam would need extensive repairs within the next five years.
Officials said a final decision on the project would likely come early next year.
Traffic deaths in the state fell slightly last year, though pedestrian deaths continued to rise.
The library's seed-lending program lets residents borrow vegetable seeds and return some after the harvest.
The city's new budget includes money for more park rangers and longer pool hours in summer.
Several small businesses said the construction had cut their sales by as much as half.
"""

WIKI = """
The Pacific Ocean is the largest and deepest of the world's oceans, covering about a third of the planet's surface.
Photosynthesis is the process by which plants use sunlight to turn carbon dioxide and water into sugar and oxygen.
The human heart has four chambers and pumps blood through two separate circulation loops.
Mount Everest, on the border between Nepal and China, is the highest mountain above sea level.
The printing press, developed in Europe in the fifteenth century, made books far cheaper to produce.
A volcano forms where molten rock, gas and ash escape through an opening in the Earth's crust.
Honeybees communicate the location of food sources through a movement known as the waggle dance.
The speed of light in a vacuum is about three hundred thousand kilometers per second.
Plate tectonics explains how large sections of the Earth's crust move slowly over the mantle.
The Roman aqueducts carried water over long distances using only the force of gravity.
An algorithm is a finite sequence of well-defined steps for solving a problem or performing a computation.
Binary numbers use only two digits, zero and one, and form the basis of modern digital computers.
The water cycle describes how water evaporates, condenses into clouds and returns to the surface as precipitation.
Coral reefs are built by colonies of tiny animals and support a quarter of all marine species.
The Great Barrier Reef, off the coast of Australia, is the largest coral reef system on Earth.
Antibiotics treat infections caused by bacteria but have no effect on viruses.
The periodic table arranges chemical elements by atomic number and recurring chemical properties.
Jazz emerged in the early twentieth century from African American communities in New Orleans.
The Silk Road was a network of trade routes linking China with Central Asia, the Middle East and Europe.
Chess is played on a board of sixty-four squares, and each player begins with sixteen pieces.
A leap year adds an extra day to February so that the calendar stays aligned with the seasons.
Glaciers form where more snow falls in winter than melts in summer, compressing into ice over many years.
The Amazon rainforest produces a large share of the world's oxygen and holds enormous biodiversity.
Electric current is the flow of electric charge, usually carried by electrons moving through a wire.
Vaccines train the immune system to recognize a pathogen without causing the disease itself.
The Industrial Revolution began in Britain in the late eighteenth century and spread across Europe.
Penguins are flightless birds that live almost exclusively in the Southern Hemisphere.
A haiku is a short Japanese poem of three lines with five, seven and five syllables.
Sound travels faster in water than in air because the molecules are packed more closely together.
The Moon's phases result from the changing angle between the Sun, the Earth and the Moon.
Compound interest is interest calculated on both the initial principal and the interest already earned.
The Sahara is the largest hot desert in the world, stretching across much of North Africa.
DNA carries the genetic instructions used in the growth and functioning of all known living organisms.
Machine learning is a field of computer science in which systems improve through experience with data.
A democracy is a system of government in which power rests with the people, usually through elected representatives.
Tides are caused mainly by the gravitational pull of the Moon on the Earth's oceans.
The Renaissance was a period of renewed interest in classical art and learning that began in Italy.
Rainbows appear when sunlight is refracted, reflected and dispersed inside water droplets.
Earthquakes are measured by magnitude, which reflects the energy released at the source.
The Nile is often considered the longest river in the world, flowing north into the Mediterranean Sea.
Saturn is best known for its bright ring system, which is made mostly of ice and rock.
A solar eclipse happens when the Moon passes between the Sun and the Earth and blocks the Sun's light.
The Arctic is warming faster than most other regions, which is reducing the extent of summer sea ice.
Fungi are neither plants nor animals; they obtain nutrients by breaking down organic matter.
The immune system protects the body from infection through a network of cells, tissues and organs.
Inflation is the rate at which the general level of prices for goods and services rises over time.
A central bank manages a country's money supply and usually sets its benchmark interest rate.
The Magna Carta, sealed in England in 1215, limited the power of the king for the first time in writing.
The Great Wall of China was built and rebuilt over many centuries to guard against northern invasions.
Gothic architecture is known for pointed arches, ribbed vaults and large stained-glass windows.
The violin has four strings tuned in fifths and is played with a bow made of horsehair.
Photosynthetic algae in the oceans produce a large share of the oxygen in the atmosphere.
A black hole is a region of space where gravity is so strong that nothing, not even light, can escape.
The metric system is a decimal system of measurement based on the meter, the kilogram and the second.
Bacteria are single-celled organisms that live almost everywhere, including inside the human body.
Evolution by natural selection explains how populations change over generations as traits are passed on.
The first modern Olympic Games were held in Athens in 1896.
Paper money first came into wide use in China during the Song dynasty.
A river delta forms where a river slows down and deposits sediment as it enters a larger body of water.
Lightning is a sudden electrostatic discharge that occurs during a thunderstorm.
The brain contains billions of neurons that communicate through electrical and chemical signals.
Wind turbines convert the kinetic energy of moving air into electricity.
Recycling reduces the need for raw materials and the energy used to process them.
A tsunami is a series of large ocean waves usually caused by an undersea earthquake.
The cello is larger than the viola and has a deeper, richer sound.
Operating systems manage a computer's memory, processes and hardware devices.
Encryption protects information by converting it into a form that only authorized parties can read.
The human skeleton of an adult is made up of about two hundred and six bones.
Sleep plays an important role in memory, learning and the repair of body tissues.
Mountains form mainly through the collision of tectonic plates over millions of years.
Deserts are defined by low rainfall rather than by high temperature, so Antarctica is also a desert.
The Olympic flame is lit in Olympia, Greece, and carried by relay to the host city.
Spices such as pepper and cinnamon were once so valuable that they shaped global trade routes.
The telescope allowed early astronomers to observe the moons of Jupiter and the phases of Venus.
Rice is a staple food for more than half of the world's population.
The stock market is a place where shares of publicly held companies are bought and sold.
A marathon is a long-distance race with an official length of about forty-two kilometers.
Wetlands filter water, store floodwater and provide habitat for many species of birds.
Bamboo is among the fastest-growing plants in the world, with some species growing almost a meter a day.
Ancient Egyptians built the pyramids as tombs for their pharaohs and their consorts.
"""

# (zh, en) aligned pairs for bilingual documents.
PAIRS = [tuple(p.split(" || ")) for p in lines("""
今天天气很好，我们一起去公园散步吧。 || The weather is lovely today, so let's take a walk in the park.
{city}是一座历史悠久的城市，每年吸引大量游客。 || {city} is a city with a long history that attracts many visitors every year.
请问最近的地铁站怎么走？ || Excuse me, how do I get to the nearest subway station?
这家餐厅的招牌菜是红烧鱼，味道非常好。 || The signature dish of this restaurant is braised fish, and it tastes wonderful.
我每天早上七点起床，然后跑步半小时。 || I get up at seven every morning and then go running for half an hour.
会议将在{weekday}下午三点开始，请准时参加。 || The meeting will start at three on {weekday} afternoon, so please be on time.
{season}是{city}最美的季节。 || {season} is the most beautiful season in {city}.
学习一门外语需要耐心和坚持。 || Learning a foreign language takes patience and persistence.
这本书讲述了一个普通家庭三代人的故事。 || This book tells the story of three generations of an ordinary family.
由于大雨，航班推迟了两个小时。 || Because of the heavy rain, the flight was delayed by two hours.
我们公司在{city}有{n}个办事处。 || Our company has {n} offices in {city}.
请把文件在周五之前发给我。 || Please send me the document before Friday.
保护环境是每个人的责任。 || Protecting the environment is everyone's responsibility.
他从小就对天文学很感兴趣。 || He has been interested in astronomy since he was a child.
这座桥建于一百多年前，至今仍在使用。 || The bridge was built more than a hundred years ago and is still in use today.
孩子们在操场上踢足球，玩得很开心。 || The children are playing football on the playground and having a great time.
价格包括早餐和机场接送服务。 || The price includes breakfast and airport transfers.
如果你有任何问题，可以随时问我。 || If you have any questions, feel free to ask me at any time.
这种植物喜欢阳光，但不耐寒。 || This plant likes sunlight but does not tolerate cold.
博物馆{weekday}闭馆，其他时间免费开放。 || The museum is closed on {weekday} and open free of charge at other times.
我更喜欢喝茶，而不是咖啡。 || I prefer tea to coffee.
这个项目预计需要{n}个月完成。 || The project is expected to take {n} months to complete.
城市的夜景非常漂亮，吸引了很多摄影爱好者。 || The city's night view is stunning and attracts many photography enthusiasts.
医生建议他多休息，少熬夜。 || The doctor advised him to rest more and stay up late less often.
我们需要在出发前检查一下车况。 || We need to check the condition of the car before we set off.
今年的经济增长速度比去年略有放缓。 || Economic growth this year has slowed slightly compared with last year.
图书馆里很安静，大家都在认真看书。 || The library is quiet, and everyone is reading attentively.
请勿在车厢内吸烟或饮食。 || Please do not smoke, eat or drink in the carriage.
这条河流经{city}，最后汇入大海。 || This river flows through {city} and finally into the sea.
我们的目标是让每个孩子都能接受良好的教育。 || Our goal is for every child to receive a good education.
科学家们发现了一种新的深海鱼类。 || Scientists have discovered a new species of deep-sea fish.
新的政策将于下个月起正式实施。 || The new policy will officially take effect next month.
她用了三年时间写完了这部小说。 || It took her three years to finish writing the novel.
火车站距离酒店大约十分钟车程。 || The train station is about a ten-minute drive from the hotel.
请保持安静，考试正在进行中。 || Please keep quiet; an exam is in progress.
这款手机的电池可以使用一整天。 || The battery of this phone lasts a whole day.
为了健康，应该多吃蔬菜和水果。 || For the sake of your health, you should eat more vegetables and fruit.
这座寺庙已有一千多年的历史。 || This temple is more than a thousand years old.
我们一家人每年春节都会回老家过年。 || Every year our family goes back to our hometown for the Spring Festival.
他在{city}的一所大学教历史。 || He teaches history at a university in {city}.
由于需求增加，产品价格上涨了{n}个百分点。 || Because of rising demand, product prices went up by {n} percentage points.
登山时一定要注意安全，不要独自行动。 || When climbing mountains, always pay attention to safety and never go alone.
这项技术可以大大提高生产效率。 || This technology can greatly improve production efficiency.
会议的主要议题是城市交通问题。 || The main topic of the meeting was urban traffic.
这家书店开在一条安静的小巷里。 || The bookshop is tucked away in a quiet little alley.
熊猫是中国的国宝，深受世界各地人们的喜爱。 || The giant panda is a national treasure of China and is loved by people all over the world.
雨后的空气特别清新。 || The air is especially fresh after the rain.
我们需要更多的志愿者来帮助组织这次活动。 || We need more volunteers to help organize the event.
这家工厂的产品主要出口到欧洲和东南亚。 || This factory's products are mainly exported to Europe and Southeast Asia.
在{city}，自行车是很多人上下班的主要交通工具。 || In {city}, bicycles are the main means of commuting for many people.
茶文化在中国已有几千年的历史。 || Tea culture has a history of several thousand years in China.
他们计划明年在郊区建一所新医院。 || They plan to build a new hospital in the suburbs next year.
这部电影改编自一部同名小说。 || The film is adapted from a novel of the same name.
老师鼓励学生们独立思考。 || The teacher encourages the students to think independently.
这里的冬天很长，而且非常寒冷。 || Winters here are long and extremely cold.
网上购物已经成为很多人生活的一部分。 || Online shopping has become part of daily life for many people.
这个公园在周末总是挤满了人。 || The park is always crowded at weekends.
飞机将在{n}分钟后降落，请系好安全带。 || The plane will land in {n} minutes; please fasten your seat belt.
请在下方签名并注明日期。 || Please sign and date below.
他的演讲赢得了观众的热烈掌声。 || His speech won warm applause from the audience.
长城是世界上最著名的古代建筑之一。 || The Great Wall is one of the most famous ancient structures in the world.
我们应该尊重不同的文化和习俗。 || We should respect different cultures and customs.
这道数学题有好几种解法。 || There are several ways to solve this maths problem.
明天有雨，记得带伞。 || It will rain tomorrow, so remember to bring an umbrella.
这台机器需要定期维护。 || This machine needs regular maintenance.
小镇的居民大多以捕鱼为生。 || Most of the town's residents make a living from fishing.
这份报告详细分析了市场的变化趋势。 || The report analyses changing market trends in detail.
音乐会的门票在一个小时内就卖完了。 || Tickets for the concert sold out within an hour.
我们的航班在{city}转机。 || Our flight has a connection in {city}.
这条街上有很多历史悠久的老店。 || There are many long-established shops on this street.
他把一生都献给了乡村教育事业。 || He devoted his whole life to education in rural areas.
使用前请仔细阅读说明书。 || Please read the instructions carefully before use.
这个地区的主要农作物是水稻和茶叶。 || The main crops in this region are rice and tea.
阅读可以开阔我们的视野。 || Reading can broaden our horizons.
新建的体育馆可以容纳{big}名观众。 || The new stadium can hold {big} spectators.
为了节约用水，请随手关闭水龙头。 || To save water, please turn off the tap after use.
这位科学家因其在物理学方面的贡献获奖。 || The scientist won an award for her contributions to physics.
晚饭后，爷爷喜欢在院子里下棋。 || After dinner, Grandpa likes to play chess in the courtyard.
这种病早期发现是可以治愈的。 || This disease can be cured if it is detected early.
他们在海边租了一栋小房子过暑假。 || They rented a small house by the sea for the summer holidays.
城市规划需要考虑人口增长的因素。 || Urban planning needs to take population growth into account.
这家公司致力于开发清洁能源技术。 || The company is committed to developing clean energy technology.
我还没有决定大学要学什么专业。 || I haven't decided what to major in at university yet.
这个村庄以盛产苹果而闻名。 || The village is famous for its apples.
展览将持续到{n}月底。 || The exhibition will run until the end of month {n}.
请把垃圾分类后再投放。 || Please sort your rubbish before throwing it away.
互联网改变了人们获取信息的方式。 || The internet has changed the way people get information.
他每个周末都去养老院做志愿者。 || He volunteers at a nursing home every weekend.
这座城市的地铁系统非常发达。 || The city's subway system is highly developed.
我们应该从错误中吸取教训。 || We should learn from our mistakes.
春节期间，火车票非常难买。 || Train tickets are very hard to get during the Spring Festival.
这道菜的做法很简单，只需要十分钟。 || This dish is very easy to make and takes only ten minutes.
孩子们对恐龙化石特别感兴趣。 || The children are especially interested in dinosaur fossils.
这座山的顶峰常年积雪。 || The summit of this mountain is covered with snow all year round.
感谢您的耐心等待。 || Thank you for your patience.
工厂的废水必须经过处理才能排放。 || Wastewater from factories must be treated before it is discharged.
她说话的声音很温柔。 || She speaks in a gentle voice.
这是我第一次来{city}出差。 || This is my first business trip to {city}.
新学期开始了，同学们都很兴奋。 || The new term has begun, and the students are all excited.
超市里的水果种类越来越丰富了。 || The range of fruit in supermarkets is getting richer and richer.
这家咖啡馆每天早上八点开门。 || This café opens at eight o'clock every morning.
我们打算下个月去{city}看望朋友。 || We plan to visit friends in {city} next month.
这道题比我想象的要难得多。 || This question is much harder than I expected.
他每天坐地铁上下班，单程大约四十分钟。 || He takes the subway to and from work every day, about forty minutes each way.
请在进入实验室之前穿好防护服。 || Please put on protective clothing before entering the laboratory.
这座城市的房价在过去十年里翻了一番。 || House prices in this city have doubled over the past ten years.
她是一名儿科医生，在医院工作了{n}年。 || She is a paediatrician and has worked at the hospital for {n} years.
周末的时候，我喜欢在家看书和做饭。 || At weekends I like to stay at home, read and cook.
这条高速公路将两座城市连接起来。 || This motorway connects the two cities.
我们需要更多的时间来完成这项研究。 || We need more time to finish this research.
这个小区的绿化做得非常好。 || The landscaping in this residential area is excellent.
学生们正在准备期末考试。 || The students are preparing for their final exams.
他把钥匙忘在办公室了。 || He left his keys at the office.
这家医院新开设了一个康复中心。 || The hospital has opened a new rehabilitation centre.
农民们正在田里收割小麦。 || The farmers are harvesting wheat in the fields.
这本杂志每个月出版一期。 || The magazine is published once a month.
晚上十点以后请不要大声喧哗。 || Please do not make loud noise after ten o'clock at night.
你可以在网上预约挂号。 || You can book a doctor's appointment online.
这里的海鲜又新鲜又便宜。 || The seafood here is both fresh and cheap.
老城区的街道很窄，不适合开车。 || The streets in the old town are narrow and not suited to driving.
公司决定明年扩大生产规模。 || The company has decided to expand production next year.
我从来没有见过这么美的日落。 || I have never seen such a beautiful sunset.
他们在湖边搭起了帐篷。 || They pitched a tent by the lake.
这个应用可以帮助你记录每天的开支。 || This app can help you keep track of your daily spending.
由于道路施工，这路公交车暂时改道。 || Because of road works, this bus route has been temporarily diverted.
这次展览展出了{num}件珍贵文物。 || The exhibition displays {num} precious cultural relics.
我们的社区每个月组织一次清洁活动。 || Our community organizes a clean-up event once a month.
吃完饭以后不要马上剧烈运动。 || Do not exercise vigorously right after a meal.
这家超市二十四小时营业。 || This supermarket is open twenty-four hours a day.
她的梦想是成为一名宇航员。 || Her dream is to become an astronaut.
科学研究需要严谨的态度。 || Scientific research requires a rigorous attitude.
山上的温度比山下低很多。 || It is much colder on the mountain than at its foot.
这座古镇保留了许多明清时期的建筑。 || The ancient town preserves many buildings from the Ming and Qing dynasties.
我们正在招聘有经验的软件工程师。 || We are recruiting experienced software engineers.
他在比赛中获得了第一名。 || He won first place in the competition.
这条裙子有三种颜色可以选择。 || The dress comes in three colours.
请把手机调成静音模式。 || Please switch your phone to silent mode.
雪下了一整夜，早上起来到处都是白色的。 || It snowed all night, and in the morning everything was white.
这里的居民非常友好，热情地欢迎了我们。 || The residents here are very friendly and gave us a warm welcome.
每年秋天，成千上万的候鸟飞到这里过冬。 || Every autumn, thousands of migratory birds fly here to spend the winter.
这个问题需要我们从长计议。 || This problem needs to be considered from a long-term perspective.
他会说三种语言，包括中文、英语和法语。 || He speaks three languages, including Chinese, English and French.
地铁站里有免费的无线网络。 || There is free wireless internet in the subway station.
这家公司成立于{year}年，总部设在{city}。 || The company was founded in {year} and is headquartered in {city}.
奶奶每天早上都会去公园打太极拳。 || Every morning Grandma goes to the park to practise tai chi.
我们应该合理安排学习和休息的时间。 || We should balance our time between study and rest.
这座大桥全长{num}公里，是当地的地标建筑。 || The bridge is {num} kilometres long and is a local landmark.
请在规定时间内提交申请材料。 || Please submit your application materials within the specified time.
这个节目深受年轻观众的欢迎。 || This programme is very popular with young viewers.
天气预报说{weekday}会有大风。 || The weather forecast says there will be strong winds on {weekday}.
""")]


# Headlines: an en news document starts with one about 70% of the time.
EN_HEADLINES = """
{en_city} council approves new bus routes
Storm expected to bring heavy snow to {en_city}
Hospital opens new pediatric wing
Local bakery marks {num} years on Main Street
School board passes budget with teacher raises
Rents climb {pct} across the metro area
Voters to decide on sales tax for road repairs
Library extends evening hours starting in {en_month}
City to expand food scrap collection this fall
Historic theater set to reopen after renovation
"""

BANKS = {"news": lines(NEWS), "wiki": lines(WIKI)}
